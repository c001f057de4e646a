# Sourced by the install scripts: pinned_venv LABEL VENV BIN "PKGS" [pip options...] makes a
# Python virtual environment holding exactly PKGS (from PyPI), or does nothing when VENV
# already has BIN and was made with the same PKGS.
pinned_venv() {
  local label=$1 venv=$2 bin=$3 pkgs=$4
  shift 4
  if [ -x "$venv/bin/$bin" ] && [ "$(cat "$venv/.pinned" 2>/dev/null)" = "$pkgs" ]; then
    echo "$label already installed: $venv"
    return 0
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086 # PKGS is a list of requirements
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" $pkgs
  echo "$pkgs" > "$venv/.pinned"
  echo "$label installed: $venv ($pkgs)"
}
