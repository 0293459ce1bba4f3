# Create .venv and (re)install Kefu when pyproject.toml changed. Sourced by ./run and ./test.
bootstrap_venv() {
  local extras="$1"
  local python="${PYTHON:-python3}"
  local stamp=".venv/.kefu-installed${extras}"
  if [ ! -x .venv/bin/python ]; then
    echo "正在创建虚拟环境 .venv …"
    "$python" -m venv .venv
  fi
  local want
  want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "正在安装依赖 …"
    # This machine's pip config names local mirrors that may be absent; hush only that notice.
    .venv/bin/python -m pip install -q --upgrade pip 2> >(grep -v "^WARNING: Location" >&2)
    .venv/bin/python -m pip install -q -e ".${extras}" 2> >(grep -v "^WARNING: Location" >&2)
    echo "$want" > "$stamp"
  fi
}
