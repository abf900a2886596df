#!/usr/bin/env cwl-runner
# Step 1: "variants<TAB>N", N being the number of lines that are not headers (#...).
cwlVersion: v1.2
class: CommandLineTool
baseCommand: awk
arguments:
  - '!/^#/ { n++ } END { print "variants\t" n + 0 }'
inputs:
  vcf:
    type: File
    inputBinding:
      position: 1
stdout: counts.txt
outputs:
  counts:
    type: stdout
