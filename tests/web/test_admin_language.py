"""The admin speaks Chinese to a Chinese administrator: every changelist column header
and every seeded role description."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import strip_tags

from kefu.org.models import Role

_ENGLISH = re.compile(r"[A-Za-z][A-Za-z _\-/.()]*")


def _is_english(text: str) -> bool:
    return bool(_ENGLISH.fullmatch(text.strip()))


@pytest.fixture
def root(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    "model",
    sorted(admin.site._registry, key=lambda m: m._meta.label),
    ids=lambda m: m._meta.label,
)
def test_every_changelist_column_header_is_chinese(client, root, org, model):
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    headers = [strip_tags(str(h["text"])) for h in result_headers(page.context["cl"])]
    headers = [h for h in headers if h.strip()]  # the action checkbox column has no text
    assert headers
    english = [h for h in headers if _is_english(h)]
    assert not english, f"{url}: {english}"
    assert not _is_english(str(opts.verbose_name_plural)), url


def test_seeded_role_descriptions_are_chinese(client, root, org):
    page = client.get(reverse("admin:org_role_changelist"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    roles = list(Role.objects.all())
    assert roles
    for role in roles:
        assert role.description and not _is_english(role.description), role.code
        assert role.description in page.text


def test_an_english_description_seeded_earlier_becomes_chinese(db):
    from kefu.org.roles import roles_seed

    Role.objects.filter(code="dispatcher").update(description="Dispatcher")
    Role.objects.filter(code="handler").update(description="我们自己写的说明")
    roles_seed()
    assert Role.objects.get(code="dispatcher").description == "把工单派给处理单位"
    assert Role.objects.get(code="handler").description == "我们自己写的说明"
