#!/bin/sh
# Starts vLLM's OpenAI-compatible server with the model the network provides.
set -eu
exec /opt/serve/venv/bin/python -m vllm.entrypoints.openai.api_server \
  --model "${MODEL_ID}" --tensor-parallel-size "${TENSOR_PARALLEL:-2}" "$@"
