"""``template.yaml``, the upload path: bucket notification -> queue (with a dead-letter queue) -> function."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from support.cfn_template import Stack, load_template

LAB_ROLE = "arn:aws:iam::123456789012:role/LabRole"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def of_type(stack: Stack, kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in stack.resources().items() if r["Type"] == kind}


def uploads_function(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    [(name, function)] = [(n, f) for n, f in of_type(Stack(template), "AWS::Serverless::Function").items()
                          if f["Properties"]["Handler"].endswith(".sqs_handler")]
    return name, function


def bucket(stack: Stack) -> tuple[str, dict[str, Any]]:
    [name] = of_type(stack, "AWS::S3::Bucket")
    return name, stack.properties(name)


def queues(template: dict[str, Any]) -> tuple[str, str]:
    """(the upload queue, its dead-letter queue), found through the redrive policy."""
    stack = Stack(template)
    [(name, main)] = [(n, stack.properties(n)) for n in of_type(stack, "AWS::SQS::Queue")
                      if "RedrivePolicy" in stack.properties(n)]
    dlq = main["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    return name, dlq


def test_the_handler_exists_where_the_template_says(template: dict[str, Any]) -> None:
    _, function = uploads_function(template)
    module, attribute = function["Properties"]["Handler"].rsplit(".", 1)
    assert module == "facedetect.entrypoints.aws_lambda"
    assert callable(getattr(importlib.import_module(module), attribute))


def test_new_objects_under_uploads_are_announced_to_the_queue(template: dict[str, Any]) -> None:
    queue, _ = queues(template)
    stack = Stack(template)
    name, props = bucket(stack)
    [config] = props["NotificationConfiguration"]["QueueConfigurations"]
    assert config["Event"] == "s3:ObjectCreated:*"
    assert config["Queue"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert config["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"}]
    # S3 tests the destination when the notification is set: the queue policy must exist first.
    [policy_name] = of_type(stack, "AWS::SQS::QueuePolicy")
    assert template["Resources"][name]["DependsOn"] in (policy_name, [policy_name])


def test_only_s3_of_this_account_may_send_to_the_queue(template: dict[str, Any]) -> None:
    queue, _ = queues(template)
    stack = Stack(template)
    [name] = of_type(stack, "AWS::SQS::QueuePolicy")
    policy = stack.properties(name)
    assert policy["Queues"] == [{"Ref": queue}]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage" and statement["Resource"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_failing_messages_end_in_the_dead_letter_queue(template: dict[str, Any]) -> None:
    queue, dlq = queues(template)
    stack = Stack(template)
    main = stack.properties(queue)
    assert 1 < main["RedrivePolicy"]["maxReceiveCount"] <= 10
    assert dlq in of_type(stack, "AWS::SQS::Queue") and dlq != queue
    assert stack.properties(dlq)["MessageRetentionPeriod"] >= main["MessageRetentionPeriod"]
    _, function = uploads_function(template)
    assert main["VisibilityTimeout"] >= 6 * function["Properties"]["Timeout"]  # AWS's advice for SQS sources


def test_the_queue_feeds_the_function_with_partial_batch_failures(template: dict[str, Any]) -> None:
    queue, _ = queues(template)
    stack = Stack(template)
    name, function = uploads_function(template)
    [event] = function["Properties"]["Events"].values()
    assert event["Type"] == "SQS"
    props = event["Properties"]
    assert props["Queue"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] == {"Ref": "UploadsBatchSize"}
    assert props["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "UploadsMaximumConcurrency"}}
    spec = template["Parameters"]["UploadsMaximumConcurrency"]
    assert spec["MinValue"] == 2 and spec["MaxValue"] == 1000 and 2 <= spec["Default"] <= 20  # AWS's bounds
    env = stack.properties(name)["Environment"]["Variables"]
    [bucket_name] = of_type(stack, "AWS::S3::Bucket")
    assert env["FACEDETECT_BACKEND"] == "aws" and env["FACEDETECT_S3_BUCKET"] == {"Ref": bucket_name}


def test_the_role_may_consume_only_this_queue_and_labrole_creates_no_iam(template: dict[str, Any]) -> None:
    queue, _ = queues(template)
    name, _ = uploads_function(template)
    own = Stack(template)
    [role] = of_type(own, "AWS::IAM::Role")
    assert own.properties(name)["Role"] == {"Fn::GetAtt": [role, "Arn"]}
    statements = [s for p in own.properties(role)["Policies"] for s in p["PolicyDocument"]["Statement"]]
    sqs = [s for s in statements if any(str(a).startswith("sqs:") for a in s["Action"])]
    assert len(sqs) == 1 and sqs[0]["Resource"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"} <= set(sqs[0]["Action"])
    academy = Stack(template, ExistingRoleArn=LAB_ROLE)
    assert not [n for n, r in academy.resources().items() if r["Type"].startswith("AWS::IAM::")]
    assert academy.evaluate(academy.properties(name)["Role"]) == LAB_ROLE


def test_unprocessed_uploads_expire(template: dict[str, Any]) -> None:
    for stack in (Stack(template), Stack(template, ImageExpirationDays="30")):
        _, props = bucket(stack)
        [rule] = [r for r in props["LifecycleConfiguration"]["Rules"] if r and r.get("Prefix") == "uploads/"]
        assert rule["Status"] == "Enabled" and 1 <= rule["ExpirationInDays"] <= 7


def test_cors_for_presigned_posts_only_with_allowed_origins(template: dict[str, Any]) -> None:
    assert template["Parameters"]["AllowedOrigins"]["Default"] == ""
    _, closed = bucket(Stack(template))
    assert closed.get("CorsConfiguration") is None
    _, open_ = bucket(Stack(template, AllowedOrigins="https://app.example.com"))
    [rule] = open_["CorsConfiguration"]["CorsRules"]
    assert "POST" in rule["AllowedMethods"]
    assert rule["AllowedOrigins"] == {"Fn::Split": [",", {"Ref": "AllowedOrigins"}]}


def test_api_preflights_reach_the_function_without_a_key_on_every_path(template: dict[str, Any]) -> None:
    [api] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Api"]
    paths = api["Properties"]["DefinitionBody"]["paths"]
    for path, item in paths.items():
        if path == "/{proxy+}":
            assert "x-amazon-apigateway-any-method" in item  # OPTIONS included
            continue
        options = item["options"]
        assert "security" not in options, path  # browsers send no x-api-key on a preflight
        assert options["x-amazon-apigateway-integration"]["type"] == "aws_proxy", path
        assert "${FacedetectFunction.Arn}" in options["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
    stack = Stack(template, AllowedOrigins="https://app.example.com")
    [(name, _)] = [(n, f) for n, f in of_type(stack, "AWS::Serverless::Function").items()
                   if f["Properties"]["Handler"].endswith(".handler")]
    assert stack.properties(name)["Environment"]["Variables"]["FACEDETECT_ALLOWED_ORIGINS"] == {"Ref": "AllowedOrigins"}
