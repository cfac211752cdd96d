# Thin shortcuts for deploying facedetect to AWS; docs/deploy.md explains each step.
#   make lambda ARCH=arm64    build the zip that template.yaml's CodeUri points at
#   make lint-template        cfn-lint template.yaml
#   make deploy               sam deploy of the built zip (add GUIDED=1 the first time)
#   make delete               sam delete (empty the bucket first: docs/deploy.md, teardown)

ARCH ?= x86_64
# a python with facedetect installed from this checkout, e.g. PYTHON=.venv/bin/python
PYTHON ?= python3
LAMBDA_ZIP := build/facedetect-lambda.zip
GUIDED ?=

.PHONY: lambda lint-template deploy delete

lambda:
	$(PYTHON) -m facedetect.entrypoints.cli.main build-lambda --arch $(ARCH) --output $(LAMBDA_ZIP)

lint-template:
	cfn-lint template.yaml

# Not rebuilding here: the zip must match the stack's Architecture, so build it explicitly.
deploy:
	@test -f $(LAMBDA_ZIP) || { echo "no $(LAMBDA_ZIP): run make lambda ARCH=<the stack's Architecture>"; exit 1; }
	sam deploy $(if $(GUIDED),--guided,)

delete:
	sam delete
