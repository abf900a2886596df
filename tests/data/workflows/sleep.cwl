#!/usr/bin/env cwl-runner
# Runs for a minute doing nothing: something to cancel.
cwlVersion: v1.2
class: CommandLineTool
baseCommand: [sleep, "60"]
inputs: []
outputs: []
