# The book's environment on a GPU machine: the Makefile's own steps, plus TensorFlow's CUDA libraries.
# tests/test_project.py holds it to requirements.txt (the same Python, the same TensorFlow).
#
#   docker build -f tools/gpu.Dockerfile -t tf-deep-nets-gpu .
#   docker run --gpus all -v "$PWD/../shared/data:/data" -e BOOK_DATA_DIR=/data tf-deep-nets-gpu
#       (make test: quick mode)
#   docker run --gpus all -v "$PWD/../shared/data:/data" -e BOOK_DATA_DIR=/data -e BOOK_QUICK=0 \
#       tf-deep-nets-gpu .venv/bin/python -m pytest chapters      (every chapter in full mode)
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends make git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /book
COPY . .
RUN make install \
    && .venv/bin/python -m pip install --quiet "tensorflow[and-cuda]==2.21.0"

ENV BOOK_BATCH=1
CMD ["make", "test"]
