"""The `kefu` command: Kefu's management commands with Kefu's settings.

kefu import customers PATH      kefu export customers PATH.xlsx
kefu demo --customers N         kefu setup / kefu serve
kefu check --deploy             kefu migrate, kefu createsuperuser, …
kefu django <command>           any of Django's own commands (kefu django help lists them)

`kefu`, `kefu help` and `kefu --help` list Kefu's own commands with a line of Chinese
each; Django's many internal commands stay behind `kefu django …` (they still run when
called directly, so scripts that say `kefu migrate` keep working).
"""

from __future__ import annotations

import os
import sys

# Commands spelled with a dash on the command line, as the docs write them.
ALIASES = {"business-time": "business_time"}

# What each command is for, in the operators' language (the commands' own --help is longer).
DESCRIPTIONS = {
    "setup": "准备数据库和静态文件；首次启动时生成演示数据和管理员",
    "serve": "启动网页服务（gunicorn）和后台任务进程（Huey）",
    "demo": "生成演示组织、员工和演示客户",
    "import": "从 .xlsx 或 .csv 文件导入客户（import customers 文件）",
    "export": "把可见范围内的客户导出为 .xlsx（写入查阅登记）",
    "calendar": "导入节假日（休）和调休工作日（班）",
    "business_time": "工作时间计算：开始后 N 个工作分钟的到期时间",
    "intake": "收取受理邮箱的新邮件并生成工单",
    "report": "满意度统计：report callbacks --from 日期 --to 日期 [--unit 单位] --json",
}
# Django's commands an operator of Kefu needs; listed, and run without `django`.
DJANGO_COMMANDS = {
    "check": "检查配置（--deploy 检查生产部署设置）",
    "migrate": "升级数据库结构",
    "createsuperuser": "创建超级管理员账号",
    "changepassword": "修改某个账号的密码",
}


def usage() -> str:
    """The command list of `kefu --help`: Kefu's own commands first, then a few of Django's."""
    import django
    from django.core.management import get_commands

    django.setup()
    commands = get_commands()
    own = sorted(name for name, app in commands.items() if app.startswith("kefu."))
    names = {name: name.replace("_", "-") if name in ALIASES.values() else name for name in own}
    width = max(len(n) for n in [*names.values(), *DJANGO_COMMANDS]) + 2
    lines = ["用法 / usage: kefu <命令> [选项]", "", "Kefu 的命令："]
    for name in own:
        text = DESCRIPTIONS.get(name) or commands_help(name)
        lines.append(f"  {names[name]:<{width}}{text}")
    lines += ["", "常用的 Django 命令："]
    lines += [f"  {name:<{width}}{text}" for name, text in DJANGO_COMMANDS.items()]
    lines += [
        "",
        "各命令的选项：kefu <命令> --help",
        "Django 的全部命令：kefu django help；运行其中一个：kefu django <命令>",
    ]
    return "\n".join(lines)


def commands_help(name: str) -> str:
    from django.core.management import get_commands, load_command_class

    return str(load_command_class(get_commands()[name], name).help).split("\n", 1)[0]


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (len(args) == 1 and args[0] in ("help", "-h", "--help")):
        print(usage())
        return
    if args[0] == "django":
        execute_from_command_line(["kefu django", *args[1:]])
        return
    args[0] = ALIASES.get(args[0], args[0])
    execute_from_command_line(["kefu", *args])


if __name__ == "__main__":
    main()
