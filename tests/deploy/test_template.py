"""``template.yaml``: cfn-lint clean, and the security and wiring properties the deployment relies on."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.cfn_template import TEMPLATE, Stack, load_template

LAB_ROLE = "arn:aws:iam::123456789012:role/LabRole"
METHODS = ("get", "post", "put", "delete", "patch", "head", "options")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def _function(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The API's function (the uploads function is tested in test_template_uploads.py)."""
    functions = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"
                 and v["Properties"]["Handler"].endswith(".handler")}
    assert len(functions) == 1, functions.keys()
    return next(iter(functions.items()))


def _single(stack: Stack, kind: str) -> str:
    names = [name for name, r in stack.resources().items() if r["Type"] == kind]
    assert len(names) == 1, f"{kind}: {names}"
    return names[0]


def _operations(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"METHOD /path": operation}`` of the API's OpenAPI definition."""
    api = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Api")
    paths = api["Properties"]["DefinitionBody"]["paths"]
    return {f"{method.removeprefix('x-amazon-apigateway-').removesuffix('-method').upper()} {path}": op
            for path, item in paths.items() for method, op in item.items() if method != "parameters"}


def test_cfn_lint_reports_no_errors() -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    command = str(cfn_lint) if cfn_lint.exists() else shutil.which("cfn-lint")
    assert command, "cfn-lint is a dev dependency; install the dev extra"
    done = subprocess.run([command, str(TEMPLATE)], capture_output=True, text=True, check=False, timeout=300)
    # cfn-lint's exit status is a bit mask: 2 errors, 4 warnings, 8 informational findings.
    assert done.returncode & 2 == 0 and done.returncode < 16, done.stdout + done.stderr


def test_bucket_blocks_public_access_and_encrypts(template: dict[str, Any]) -> None:
    stack = Stack(template)
    bucket = stack.properties(_single(stack, "AWS::S3::Bucket"))
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    rules = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert [r["ServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules] == ["AES256"]
    assert "BucketName" not in bucket  # generated, so stacks never collide on a global name
    assert {"ObjectOwnership": "BucketOwnerEnforced"} in bucket["OwnershipControls"]["Rules"]


def test_bucket_policy_denies_every_request_without_tls(template: dict[str, Any]) -> None:
    stack = Stack(template)
    bucket = _single(stack, "AWS::S3::Bucket")
    policy = stack.properties(_single(stack, "AWS::S3::BucketPolicy"))
    assert policy["Bucket"] == {"Ref": bucket}
    denies = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    tls = [s for s in denies if s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}]
    assert len(tls) == 1
    statement = tls[0]
    assert statement["Principal"] == "*" and statement["Action"] in ("s3:*", ["s3:*"])
    assert {"Fn::GetAtt": [bucket, "Arn"]} in statement["Resource"]
    assert {"Fn::Sub": f"${{{bucket}.Arn}}/*"} in statement["Resource"]


def test_image_expiry_is_off_by_default_and_set_by_parameter(template: dict[str, Any]) -> None:
    bucket = _single(Stack(template), "AWS::S3::Bucket")
    def image_rules(stack: Stack) -> list[Any]:  # the rule for uploads/ is tested in test_template_uploads.py
        rules = stack.properties(bucket)["LifecycleConfiguration"]["Rules"]
        return [r["ExpirationInDays"] for r in rules if r and r["Status"] == "Enabled" and "Prefix" not in r]

    assert image_rules(Stack(template)) == []
    assert image_rules(Stack(template, ImageExpirationDays="30")) == [{"Ref": "ImageExpirationDays"}]


def test_table_is_keyed_by_face_id_on_demand_with_point_in_time_recovery(template: dict[str, Any]) -> None:
    stack = Stack(template)
    table = stack.properties(_single(stack, "AWS::DynamoDB::Table"))
    assert table["KeySchema"] == [{"AttributeName": "face_id", "KeyType": "HASH"}]
    assert {"AttributeName": "face_id", "AttributeType": "S"} in table["AttributeDefinitions"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["TableName"] == {"Ref": "TableName"} and template["Parameters"]["TableName"]["Default"] == "faces"


def test_an_existing_table_is_used_instead_when_asked(template: dict[str, Any]) -> None:
    name, _ = _function(template)
    created, existing = Stack(template), Stack(template, CreateTable="false", TableName="reference-faces")
    assert not [r for r in existing.resources().values() if r["Type"] == "AWS::DynamoDB::Table"]
    table = _single(created, "AWS::DynamoDB::Table")
    assert created.properties(name)["Environment"]["Variables"]["FACEDETECT_DYNAMODB_TABLE"] == {"Ref": table}
    assert existing.properties(name)["Environment"]["Variables"]["FACEDETECT_DYNAMODB_TABLE"] == {"Ref": "TableName"}


def test_function_runtime_limits_and_environment(template: dict[str, Any]) -> None:
    name, _ = _function(template)
    props = Stack(template).properties(name)
    assert props["Runtime"] == "python3.12"
    # API Gateway's 29 s include a cold start: the function must end well before (docs/deploy.md).
    assert isinstance(props["Timeout"], int) and 1 <= props["Timeout"] <= 25
    assert props["Architectures"] == [{"Ref": "Architecture"}]
    architecture = template["Parameters"]["Architecture"]
    assert architecture["Default"] == "x86_64" and sorted(architecture["AllowedValues"]) == ["arm64", "x86_64"]
    assert props["MemorySize"] == {"Ref": "MemorySize"} and template["Parameters"]["MemorySize"]["Default"] == 1769
    env = props["Environment"]["Variables"]
    assert env["FACEDETECT_BACKEND"] == "aws"
    assert env["FACEDETECT_S3_BUCKET"] == {"Ref": _single(Stack(template), "AWS::S3::Bucket")}
    assert "Policies" not in props  # SAM would make a role of its own for these
    from facedetect.settings import Settings

    settings = {f"FACEDETECT_{field.upper()}" for field in Settings.model_fields}
    assert {k for k in env if k.startswith("FACEDETECT_")} <= settings


def test_handler_and_code_uri_point_at_what_the_build_makes(template: dict[str, Any]) -> None:
    import importlib

    from facedetect.entrypoints.cli.main import build_parser

    _, function = _function(template)
    module, attribute = function["Properties"]["Handler"].rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module), attribute))
    default_output = build_parser().parse_args(["build-lambda"]).output
    assert function["Properties"]["CodeUri"] == default_output


def test_logs_go_to_a_log_group_with_retention(template: dict[str, Any]) -> None:
    stack = Stack(template)
    group = _single(stack, "AWS::Logs::LogGroup")
    assert stack.properties(group)["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert stack.properties(_function(template)[0])["LoggingConfig"]["LogGroup"] == {"Ref": group}


def test_no_role_is_created_when_an_existing_role_is_given(template: dict[str, Any]) -> None:
    name, _ = _function(template)
    academy = Stack(template, ExistingRoleArn=LAB_ROLE)
    assert not [n for n, r in academy.resources().items() if r["Type"].startswith("AWS::IAM::")]
    assert academy.evaluate(academy.properties(name)["Role"]) == LAB_ROLE

    own = Stack(template)
    role = _single(own, "AWS::IAM::Role")
    assert own.properties(name)["Role"] == {"Fn::GetAtt": [role, "Arn"]}
    # Every IAM resource hangs on the same condition, so none can appear in the Academy case.
    conditions = {r.get("Condition") for r in template["Resources"].values() if r["Type"].startswith("AWS::IAM::")}
    assert conditions == {template["Resources"][role]["Condition"]}


def test_role_may_touch_only_this_bucket_table_and_log_group(template: dict[str, Any]) -> None:
    stack = Stack(template)
    bucket, group = _single(stack, "AWS::S3::Bucket"), _single(stack, "AWS::Logs::LogGroup")
    table_arn = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}"
    allowed = {
        "s3": [{"Fn::Sub": f"${{{bucket}.Arn}}/*"}, {"Fn::GetAtt": [bucket, "Arn"]}],
        "dynamodb": [{"Fn::Sub": table_arn}, {"Fn::Sub": table_arn + "/index/*"}],
        "logs": [{"Fn::GetAtt": [group, "Arn"]}],
        "sqs": [{"Fn::GetAtt": ["UploadsQueue", "Arn"]}],
    }
    role = stack.properties(_single(stack, "AWS::IAM::Role"))
    assert role.get("ManagedPolicyArns") is None  # X-Ray's managed policy only with EnableTracing
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert statements
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        services = {a.split(":", 1)[0] for a in actions}
        assert statement["Effect"] == "Allow" and len(services) == 1, statement
        assert not any("*" in a for a in actions), statement
        service = next(iter(services))
        assert all(r in allowed[service] for r in resources), statement
        if "s3:ListBucket" in actions:
            assert resources == [{"Fn::GetAtt": [bucket, "Arn"]}]
        elif actions[0].startswith("s3:"):
            assert resources == [{"Fn::Sub": f"${{{bucket}.Arn}}/*"}]
    granted = {a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    # What the adapters call (TransactWriteItems is authorised as PutItem/DeleteItem; HeadObject as GetObject).
    assert {"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "dynamodb:GetItem", "dynamodb:PutItem",
            "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:Query", "dynamodb:Scan"} <= granted


def test_api_stage_binary_types_and_routes(template: dict[str, Any]) -> None:
    from facedetect.entrypoints.aws_lambda import app

    stack = Stack(template)
    api = stack.properties(_single(stack, "AWS::Serverless::Api"))
    assert api["StageName"] == {"Ref": "StageName"}
    assert template["Parameters"]["StageName"]["Default"] == "development"
    binary = [t.replace("~1", "/") for t in api["BinaryMediaTypes"]]  # SAM writes "/" as "~1"
    assert "application/octet-stream" in binary and any(t.startswith("image/") for t in binary)
    assert "*/*" not in binary

    operations = _operations(template)
    name, _ = _function(template)
    for key, operation in operations.items():
        integration = operation["x-amazon-apigateway-integration"]
        assert integration["type"] == "aws_proxy" and integration["httpMethod"] == "POST", key
        assert f"${{{name}.Arn}}" in integration["uri"]["Fn::Sub"], key
    assert "ANY /{proxy+}" in operations

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]+\}", "{}", path)

    served = {f"{m.upper()} {shape(p)}" for p, item in app.get_openapi_schema().paths.items()
              for m in METHODS if getattr(item, m, None) is not None}
    preflights = {k for k in operations if k.startswith("OPTIONS ")}  # CORS: test_template_uploads.py
    assert served == {shape(k) for k in operations} - {"ANY /{}"} - {shape(k) for k in preflights}


def test_api_key_and_usage_plan_only_when_enabled(template: dict[str, Any]) -> None:
    off, on = Stack(template), Stack(template, EnableApiKey="true")
    key_types = {"AWS::ApiGateway::ApiKey", "AWS::ApiGateway::UsagePlan", "AWS::ApiGateway::UsagePlanKey"}
    assert not key_types & {r["Type"] for r in off.resources().values()}
    assert key_types <= {r["Type"] for r in on.resources().values()}
    plan = on.properties(_single(on, "AWS::ApiGateway::UsagePlan"))
    assert plan["Throttle"] == {"RateLimit": {"Ref": "ThrottleRateLimit"}, "BurstLimit": {"Ref": "ThrottleBurstLimit"}}
    for key, operation in _operations(template).items():
        if key.startswith("OPTIONS "):  # CORS preflights carry no key (test_template_uploads.py)
            continue
        assert off.pick(operation["security"]) == [], key
        assert on.pick(operation["security"]) == [{"api_key": []}], key


def test_outputs_name_the_api_url_bucket_and_table(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert {"ApiUrl", "BucketName", "TableName"} <= set(outputs)
    assert "${StageName}" in outputs["ApiUrl"]["Value"]["Fn::Sub"]


def test_api_is_redeployed_on_every_stack_update(template: dict[str, Any]) -> None:
    # SAM's deployment hash does not see the security `!If`: without this, switching EnableApiKey
    # would leave the old deployment (with or without keys) serving.
    stack = Stack(template)
    assert stack.properties(_single(stack, "AWS::Serverless::Api"))["AlwaysDeploy"] is True


def test_stage_is_throttled_with_and_without_an_api_key(template: dict[str, Any]) -> None:
    every_method = {"ResourcePath": "/*", "HttpMethod": "*",
                    "ThrottlingRateLimit": {"Ref": "ThrottleRateLimit"},
                    "ThrottlingBurstLimit": {"Ref": "ThrottleBurstLimit"}}
    for enable_api_key in ("false", "true"):
        stack = Stack(template, EnableApiKey=enable_api_key)
        settings = stack.properties(_single(stack, "AWS::Serverless::Api"))["MethodSettings"]
        assert every_method in settings, enable_api_key
    rate, burst = template["Parameters"]["ThrottleRateLimit"], template["Parameters"]["ThrottleBurstLimit"]
    assert rate["Type"] == burst["Type"] == "Number" and rate["MinValue"] >= 1 and burst["MinValue"] >= 1
    assert 1 <= rate["Default"] <= burst["Default"] <= 1000  # on by default, far below the account's 10,000 rps


def test_reserved_concurrency_is_unset_unless_a_positive_number_is_given(template: dict[str, Any]) -> None:
    name, _ = _function(template)
    for unset in ("", "0"):
        assert Stack(template, ReservedConcurrency=unset).properties(name)["ReservedConcurrentExecutions"] is None
    assert Stack(template).properties(name)["ReservedConcurrentExecutions"] is None
    reserved = Stack(template, ReservedConcurrency="25")
    assert reserved.evaluate(reserved.properties(name)["ReservedConcurrentExecutions"]) == "25"
    pattern = template["Parameters"]["ReservedConcurrency"]["AllowedPattern"]
    assert [v for v in ("", "0", "5", "1000") if re.fullmatch(pattern, v)] == ["", "0", "5", "1000"]
    assert not [v for v in ("-1", "ten", "1.5", " 5") if re.fullmatch(pattern, v)]


def test_tracing_is_off_by_default_and_complete_when_enabled(template: dict[str, Any]) -> None:
    name, _ = _function(template)
    xray = {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"}

    off = Stack(template)
    assert off.properties(name)["Tracing"] == "PassThrough"
    assert off.properties(_single(off, "AWS::Serverless::Api"))["TracingEnabled"] is False
    assert off.properties(_single(off, "AWS::IAM::Role")).get("ManagedPolicyArns") is None

    on = Stack(template, EnableTracing="true")
    assert on.properties(name)["Tracing"] == "Active"
    assert on.properties(_single(on, "AWS::Serverless::Api"))["TracingEnabled"] is True
    assert on.properties(_single(on, "AWS::IAM::Role"))["ManagedPolicyArns"] == [xray]

    # With an existing role nothing IAM is created or changed: that role must allow X-Ray itself.
    academy = Stack(template, EnableTracing="true", ExistingRoleArn=LAB_ROLE)
    assert academy.properties(name)["Tracing"] == "Active"
    assert academy.evaluate(academy.properties(name)["Role"]) == LAB_ROLE
    assert not [r for r in academy.resources().values() if r["Type"].startswith("AWS::IAM::")]


def test_local_sam_state_is_not_committed() -> None:
    if not (TEMPLATE.parent / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    paths = [".aws-sam/build/template.yaml", "samconfig.toml"]
    done = subprocess.run(["git", "check-ignore", "--no-index", *paths], cwd=TEMPLATE.parent,
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.stdout.split() == paths, done.stdout + done.stderr
