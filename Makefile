# Thin shortcuts for deploying facedetect to AWS; docs/deploy.md explains each step.
#   make lambda ARCH=arm64    build the zip that template.yaml's CodeUri points at (WITH_MODEL=yunet bundles YuNet)
#   make lint-template        cfn-lint template.yaml
#   make deploy               sam deploy of the built zip (add GUIDED=1 the first time)
#   make delete               sam delete (empty the bucket first: docs/deploy.md, teardown)

ARCH ?= x86_64
# Tools from the checkout's venv (README, first line) unless told otherwise, e.g. PYTHON=python3.
VENV ?= .venv
PYTHON ?= $(VENV)/bin/python
# the SAM CLI and cfn-lint: from the venv when installed there (.venv/bin/pip install aws-sam-cli), else from PATH
SAM ?= $(if $(wildcard $(VENV)/bin/sam),$(VENV)/bin/sam,sam)
CFN_LINT ?= $(if $(wildcard $(VENV)/bin/cfn-lint),$(VENV)/bin/cfn-lint,cfn-lint)
WITH_MODEL ?=
LAMBDA_ZIP := build/facedetect-lambda.zip
GUIDED ?=

.PHONY: lambda lint-template deploy delete

lambda:
	@command -v $(PYTHON) >/dev/null || { echo "no $(PYTHON): create the venv first (README, first line) or pass PYTHON=..."; exit 1; }
	$(PYTHON) -m facedetect.entrypoints.cli.main build-lambda --arch $(ARCH) --output $(LAMBDA_ZIP) \
		$(if $(WITH_MODEL),--with-model $(WITH_MODEL),)

lint-template:
	$(CFN_LINT) template.yaml

# Not rebuilding here: the zip must match the stack's Architecture, so build it explicitly.
deploy:
	@test -f $(LAMBDA_ZIP) || { echo "no $(LAMBDA_ZIP): run make lambda ARCH=<the stack's Architecture>"; exit 1; }
	$(SAM) deploy $(if $(GUIDED),--guided,)

delete:
	$(SAM) delete
