#!/usr/bin/env bash
# The build step of action.yml, run as GitHub runs it: inputs in INPUT_* variables, the action's checkout
# in GITHUB_ACTION_PATH. indexgen itself writes the step outputs ($GITHUB_OUTPUT), the job summary
# ($GITHUB_STEP_SUMMARY) and the workflow commands, because it knows GITHUB_ACTIONS=true.
#
# Inputs are split on spaces and commas only (no globbing, no quotes) and every value is handed over as
# one --flag=value argument, so a value (such as a repository named by a dispatch event) cannot become
# a flag of its own.
set -euo pipefail
set -f

fail() {
    # Our own words only: no input is echoed here.
    printf '::error::%s\n' "$1" >&2
    exit 1
}

split() {
    local IFS=$' \t\r\n,'
    # shellcheck disable=SC2206
    words=($1)
}

[ -n "${INPUT_TOKEN:-}" ] || fail "the token input is empty: without one indexgen would see public repositories only and publish a partial index"
[ -n "${GITHUB_ACTION_PATH:-}" ] || fail "GITHUB_ACTION_PATH is not set: run this script as the action's step"

python="${INDEXGEN_PYTHON:-python3}"
temp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
# One environment per checkout of the action: a job that runs the action twice installs it once.
venv="$temp/indexgen-$(printf '%s' "$GITHUB_ACTION_PATH" | sha256sum | cut -c1-16)"
if [ ! -x "$venv/bin/indexgen" ]; then
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$GITHUB_ACTION_PATH"
fi

owner="${GITHUB_REPOSITORY_OWNER:-}"
repository="${GITHUB_REPOSITORY:-}"
site_url="${INPUT_SITE_URL:-}"
if [ -z "$site_url" ]; then
    [ -n "$owner" ] && [ -n "$repository" ] || fail "site-url is empty and GITHUB_REPOSITORY is not set"
    host="$(printf '%s' "$owner" | tr '[:upper:]' '[:lower:]').github.io"
    name="${repository#*/}"
    if [ "$(printf '%s' "$name" | tr '[:upper:]' '[:lower:]')" = "$host" ]; then
        site_url="https://$host/"
    else
        site_url="https://$host/$name/"
    fi
fi

args=(build "--output=${INPUT_OUTPUT:-site}" "--site-url=$site_url" "--previous=${INPUT_PREVIOUS:-$site_url}")
args+=("--report=$temp/indexgen-report.json")
split "${INPUT_OWNERS:-$owner}"
[ "${#words[@]}" -gt 0 ] || fail "the owners input is empty"
for word in "${words[@]}"; do
    case "$word" in
        user:*) args+=("--user=${word#user:}") ;;
        *) args+=("--org=$word") ;;
    esac
done
split "${INPUT_REPOSITORIES:-}"
for word in "${words[@]}"; do
    args+=("--repo=$word")
done
if [ -n "${INPUT_CONFIG:-}" ]; then
    args+=("--config=$INPUT_CONFIG")
fi
split "${INPUT_ARGS:-}"
args+=("${words[@]}")

export GITHUB_TOKEN="$INPUT_TOKEN"
unset INPUT_TOKEN GH_TOKEN
export GITHUB_ACTIONS=true PIP_NO_INPUT=1
exec "$venv/bin/indexgen" "${args[@]}"
