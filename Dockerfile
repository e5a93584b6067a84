# The image Codabench runs the voci scoring program in: a slim Python with the voci toolkit installed from its
# wheel (the bundle's scoring_program/requirements.txt pins the same version). Build and push (docs/benchmark.md):
#   .venv/bin/python -m pip wheel --no-deps --wheel-dir dist .
#   docker build --tag REGISTRY/NAME/voci-toolkit:0.1.0 .
#   docker push REGISTRY/NAME/voci-toolkit:0.1.0
#   toolkit benchmark-bundle --docker-image REGISTRY/NAME/voci-toolkit:0.1.0
FROM python:3.11-slim

ARG WHEEL=voci_toolkit-0.1.0-py3-none-any.whl
COPY dist/${WHEEL} /tmp/${WHEEL}
RUN pip install --no-cache-dir /tmp/${WHEEL} && rm /tmp/${WHEEL}

# Codabench mounts the program, input and output under /app and runs the command of metadata.yaml there.
WORKDIR /app/program
