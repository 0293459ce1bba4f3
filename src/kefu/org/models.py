"""Org tree (集团/省/市/县/部门/班组), staff, roles and their data scope."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import models
from django.utils.translation import gettext_lazy as _

PATH_SEGMENT = 7  # zero-padded id digits per level in OrgUnit.path


def ancestor_paths(path: str) -> list[str]:
    """ "0000001/0000002/0000005/" → the paths of the unit itself and each ancestor: the
    units at or above it are one `path__in` filter."""
    parts = path.split("/")[:-1]
    return ["".join(p + "/" for p in parts[: i + 1]) for i in range(len(parts))]


class OrgLevel(models.TextChoices):
    GROUP = "group", _("Group")  # 集团
    PROVINCE = "province", _("Province")  # 省
    PREFECTURE = "prefecture", _("Prefecture")  # 市
    COUNTY = "county", _("County")  # 县
    DEPARTMENT = "department", _("Department")  # 部门
    TEAM = "team", _("Team")  # 班组


class OrgUnit(models.Model):
    """A node of the org tree. `path` is the materialised path: one indexed prefix
    filter (`path__startswith`) selects a whole subtree."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=32, unique=True)
    level = models.CharField(_("level"), max_length=16, choices=OrgLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")

    def __str__(self) -> str:
        return self.name

    def subtree(self) -> models.QuerySet[OrgUnit]:
        return OrgUnit.objects.filter(path__startswith=self.path)


class Vendor(models.Model):
    """Outsourcing vendor (外包单位) some field staff work for."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    contact = models.CharField(_("contact"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("outsourcing vendor")
        verbose_name_plural = _("outsourcing vendors")

    def __str__(self) -> str:
        return self.name


class DataScope(models.TextChoices):
    OWN = "own", _("Own records")  # 本人
    UNIT = "unit", _("Own unit")  # 本单位
    SUBTREE = "subtree", _("Unit and below")  # 本单位及下级
    ALL = "all", _("All")  # 全部


class Role(models.Model):
    """A named permission set (坐席, 派单员, 主管 …). The scope is set per assignment."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    description = models.CharField(_("description"), max_length=200, blank=True)
    permissions = models.ManyToManyField(Permission, verbose_name=_("permissions"), blank=True)
    default_scope = models.CharField(
        _("default data scope"), max_length=8, choices=DataScope.choices, default=DataScope.UNIT
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """The staff side of a Django user: where they sit and what they can do."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff"
    )
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="staff"
    )
    employee_no = models.CharField(_("employee number"), max_length=32, unique=True)
    display_name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    vendor = models.ForeignKey(
        Vendor,
        verbose_name=_("outsourcing vendor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    on_leave = models.BooleanField(_("on leave"), default=False)

    class Meta:
        ordering = ["employee_no"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return f"{self.display_name} ({self.employee_no})"


class RoleAssignment(models.Model):
    """A role held by a staff member, anchored at an org unit with a data scope."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.ForeignKey(Role, verbose_name=_("role"), on_delete=models.PROTECT)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("scope anchor unit"), on_delete=models.PROTECT
    )
    scope = models.CharField(_("data scope"), max_length=8, choices=DataScope.choices)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "org_unit"], name="uniq_role_assignment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role} @ {self.org_unit} ({self.get_scope_display()})"
