#!/usr/bin/env cwl-runner
# Read QC shared by the sequencing templates (WGS, WES, targeted): reads, bases, GC content,
# the share of bases at or above a base quality, and the mean raw coverage of the genome (given
# its size) or of the targets (given a BED file, each interval widened by the padding).
# Self-contained on purpose: no Docker, no $import/$schemas URLs; it needs sh, gzip and awk on
# the server, and a JavaScript engine for the resource expressions (node, as cwltool uses).
# The shell script avoids "$(" and "${" because CWL would read them as expressions.
cwlVersion: v1.2
class: CommandLineTool
doc: Read QC of one sample's FASTQ files (plain or gzip), with the mean raw coverage.
requirements:
  InlineJavascriptRequirement: {}
  EnvVarRequirement:
    envDef:
      SAMPLE_ID: $(inputs.sample_id)
      MIN_Q: $(String(inputs.min_base_quality))
      R1: $(inputs.reads_1.path)
      R2: '$(inputs.reads_2 ? inputs.reads_2.path : "")'
      TARGETS: '$(inputs.targets ? inputs.targets.path : "")'
      PADDING: $(String(inputs.padding_bp))
      GENOME_BP: $(String(Math.round(inputs.genome_size_mb * 1000000)))
  ResourceRequirement:
    coresMin: $(inputs.cpus)
    ramMin: $(inputs.memory_gb * 1024)
  ToolTimeLimit:
    timelimit: $(inputs.time_h * 3600)
baseCommand: [sh, -c]
arguments:
  - |
    set -eu
    size=$GENOME_BP
    if [ -n "$TARGETS" ]; then
      size=`awk -v pad="$PADDING" '!/^(#|track|browser)/ && NF >= 3 { n += $3 - $2 + 2 * pad } END { printf "%d", n }' "$TARGETS"`
    fi
    { gzip -cdf "$R1"; if [ -n "$R2" ]; then gzip -cdf "$R2"; fi; } | awk -v q="$MIN_Q" -v size="$size" -v sample="$SAMPLE_ID" '
      BEGIN { for (i = 33; i < 127; i++) score[sprintf("%c", i)] = i - 33 }
      NR % 4 == 2 { reads++; bases += length($0); gc += gsub(/[GCgc]/, "") }
      NR % 4 == 0 { n = length($0); for (i = 1; i <= n; i++) if (score[substr($0, i, 1)] >= q) good++ }
      END {
        printf "sample\t%s\nreads\t%d\nbases\t%d\n", sample, reads, bases
        printf "gc_percent\t%.2f\n", bases ? 100 * gc / bases : 0
        printf "bases_q%d_percent\t%.2f\n", q, bases ? 100 * good / bases : 0
        if (size > 0) printf "mean_coverage\t%.4f\n", bases / size
      }'
inputs:
  sample_id: string
  reads_1: File
  reads_2: File?
  min_base_quality: int
  targets: File?
  padding_bp:
    type: int
    default: 0
  genome_size_mb:
    type: float
    default: 0
  cpus: int
  memory_gb: int
  time_h: int
stdout: qc_summary.tsv
outputs:
  qc_summary:
    type: stdout
