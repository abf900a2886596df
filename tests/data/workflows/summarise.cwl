#!/usr/bin/env cwl-runner
# Step 2: prefix every line of the counts file, so the output shows both steps ran.
cwlVersion: v1.2
class: CommandLineTool
baseCommand: awk
arguments:
  - '{ print "GenoFlow summary: " $0 }'
inputs:
  counts:
    type: File
    inputBinding:
      position: 1
stdout: summary.txt
outputs:
  summary:
    type: stdout
