#!/usr/bin/env cwl-runner
# Always fails: writes a recognisable message to stderr and exits 1 (the run ends in EXECUTOR_ERROR).
cwlVersion: v1.2
class: CommandLineTool
baseCommand: [sh, -c]
arguments:
  - 'echo "GENOFLOW-TEST-FAILURE: the input is not a VCF" >&2; exit 1'
inputs: []
outputs: []
