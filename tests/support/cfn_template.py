"""Read ``template.yaml`` as CloudFormation does: short-form tags, parameters, conditions.

A ``yaml.SafeLoader`` subclass turns ``!Ref X`` into ``{"Ref": "X"}``, ``!GetAtt A.B`` into
``{"Fn::GetAtt": ["A", "B"]}`` and every other ``!Name`` into ``{"Fn::Name": ...}``. A small
evaluator then answers what the stack would hold for given parameter values: which
conditions hold, which resources are created, and what an ``Fn::If`` picks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "template.yaml"

_FUNCTIONS = ("Base64", "Cidr", "Equals", "FindInMap", "GetAZs", "If", "ImportValue", "Join", "Not", "And",
              "Or", "Select", "Split", "Sub", "Transform", "Length", "ToJsonString")


class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation's short-form intrinsic function tags."""


def _construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


def _function(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        return {f"Fn::{name}": _construct(loader, node)}

    return construct


def _ref(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return {"Ref": _construct(loader, node)}


def _condition(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return {"Condition": _construct(loader, node)}


def _get_att(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    value = _construct(loader, node)
    return {"Fn::GetAtt": value.split(".", 1) if isinstance(value, str) else value}


for _name in _FUNCTIONS:
    CloudFormationLoader.add_constructor(f"!{_name}", _function(_name))
CloudFormationLoader.add_constructor("!Ref", _ref)
CloudFormationLoader.add_constructor("!Condition", _condition)
CloudFormationLoader.add_constructor("!GetAtt", _get_att)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as plain dicts and lists, intrinsic functions in their long form."""
    with open(path, encoding="utf-8") as fh:
        loaded: dict[str, Any] = yaml.load(fh, Loader=CloudFormationLoader)  # a SafeLoader subclass
    return loaded


class Stack:
    """What ``template`` resolves to for some parameter values (the others take their defaults)."""

    def __init__(self, template: dict[str, Any], **parameters: str) -> None:
        unknown = set(parameters) - set(template.get("Parameters", {}))
        assert not unknown, f"not parameters of the template: {unknown}"
        self.template = template
        self.parameters = {name: str(spec.get("Default", "")) for name, spec in template["Parameters"].items()}
        self.parameters.update(parameters)

    def condition(self, name: str) -> bool:
        """Whether condition ``name`` holds."""
        return bool(self.evaluate(self.template["Conditions"][name]))

    def evaluate(self, value: Any) -> Any:
        """Evaluate a condition expression (Equals, Not, And, Or, Condition, Ref to a parameter)."""
        if isinstance(value, dict) and len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.parameters[arg]
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Equals":
                return str(self.evaluate(arg[0])) == str(self.evaluate(arg[1]))
            if key == "Fn::Not":
                return not self.evaluate(arg[0])
            if key == "Fn::And":
                return all(self.evaluate(a) for a in arg)
            if key == "Fn::Or":
                return any(self.evaluate(a) for a in arg)
        return value

    def pick(self, value: Any) -> Any:
        """``value`` with every ``Fn::If`` replaced by its chosen branch (``AWS::NoValue`` -> ``None``)."""
        if isinstance(value, dict):
            if set(value) == {"Fn::If"}:
                name, yes, no = value["Fn::If"]
                return self.pick(yes if self.condition(name) else no)
            if value == {"Ref": "AWS::NoValue"}:
                return None
            return {k: self.pick(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.pick(v) for v in value]
        return value

    def resources(self) -> dict[str, dict[str, Any]]:
        """The resources this stack creates: those without a condition or whose condition holds."""
        return {name: resource for name, resource in self.template["Resources"].items()
                if "Condition" not in resource or self.condition(resource["Condition"])}

    def properties(self, name: str) -> dict[str, Any]:
        """The properties of resource ``name`` with conditions applied."""
        picked: dict[str, Any] = self.pick(self.template["Resources"][name].get("Properties", {}))
        return picked
