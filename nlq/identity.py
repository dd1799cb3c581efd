"""Who is asking: one object for the user, the role they act in and the attributes
the role's row filters bind. They travel together through every path (questions,
semantic queries, raw SQL, the language model's SQL, the audit log), so a role can
never be switched while its user or attributes stay behind."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nlq.messages import Text
from nlq.semantic.errors import AccessDenied
from nlq.semantic.model import AttributeValue, SemanticLayer


class Identity(BaseModel):
    model_config = ConfigDict(frozen=True)

    # A user of the layer's users.yaml; None for a tool run by an operator under a role.
    user: str | None = None
    role: str | None = None
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)
    # The user's own role while an administrator views as `role` (audited beside it).
    signed_in_role: str | None = None

    @classmethod
    def of(
        cls,
        layer: SemanticLayer,
        *,
        user: str | None = None,
        role: str | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> Identity:
        """A named user (their role and attributes come from the layer, whatever else
        is passed), else a role with the attributes given."""
        if user is None:
            return cls(role=role, attributes=dict(attributes or {}))
        found = layer.user(user)
        if found is None:
            raise AccessDenied(Text("access.unknown_user", user=user))
        return cls(user=found.name, role=found.role, attributes=dict(found.attributes))

    def viewing_as(self, role: str) -> Identity:
        """This user asking in another role: its policies, none of the user's
        attributes, and the user's own role kept for the audit log."""
        if role == self.role:
            return self
        return Identity(user=self.user, role=role, signed_in_role=self.signed_in_role or self.role)

    def may_administer(self, layer: SemanticLayer) -> bool:
        """May this identity read the audit log (its role is an administrator's)?"""
        role = layer.role(self.role) if self.role else None
        return role is not None and role.admin
