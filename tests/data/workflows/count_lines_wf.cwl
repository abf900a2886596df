#!/usr/bin/env cwl-runner
# Two steps: count the variant lines of a VCF, then write a one-line summary of the count.
# Self-contained on purpose: no $schemas/$import URLs, no Docker, no JavaScript.
cwlVersion: v1.2
class: Workflow
doc: Count the data lines of a VCF and summarise the count.

inputs:
  vcf: File

outputs:
  summary:
    type: File
    outputSource: summarise/summary

steps:
  count:
    run: count_lines.cwl
    in:
      vcf: vcf
    out: [counts]
  summarise:
    run: summarise.cwl
    in:
      counts: count/counts
    out: [summary]
