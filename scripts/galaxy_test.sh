#!/usr/bin/env bash
# planemo lint + planemo test of the Galaxy tools against a real Galaxy server on 127.0.0.1, offline.
#
#   bash scripts/galaxy_test.sh [TOOL|WORKFLOW ...]   # uses .venv (the project's environment) and build/galaxy
#   bash scripts/galaxy_test.sh galaxy_tools/dnalens/dnalens_merge.xml galaxy_tools/workflows/dnalens-scatter-variants.gxwf.yml
#   bash scripts/galaxy_test.sh galaxy_tools/model_zoo_tests   # only the model-zoo tests (see below)
#   bash scripts/galaxy_test.sh galaxy_tools/server_tests      # only the tools that have server tests (see below)
#   GALAXY_SERVE_ONLY=1 bash scripts/galaxy_test.sh   # start the same server and keep it, to try the tools
#
# Installs galaxy==26.1.1 into its own virtualenv (once; about 4 minutes), starts it with the tools, the
# test data tables and a dependency resolver that runs jobs in the project's environment, runs the tests,
# and always stops the server, pass or fail. Reports land in build/galaxy/reports/.
#
# The tools' third model source, the lab's `dnalens serve` server (docs/SERVE.md, "Galaxy as a client"), is tested
# against a real one: `dnalens serve` of test-data/tiny-model on a free loopback port, with a fresh token, starts
# before Galaxy and stops with it. Its URL goes into the test copy of the dnalens_servers table; the jobs get the
# token (and the same URL as DNALENS_ENDPOINT, which local-model jobs must ignore) from their environment.
#
# Tests only this script can run live outside the real tool files, which plain `planemo test` and a tool shed's CI
# run: fragments <folder>/<tool file name>.tests.xml, whose <test>s are appended to generated copies of the tools
# that Galaxy then loads in place of the real files (same ids, the real files' tests first, so those keep their
# indices). Naming a real tool (or its folder) tests its copy.
#   galaxy_tools/server_tests      the lab's server as model source; always (the server above always runs).
#   galaxy_tools/model_zoo_tests   (issue 14) a model that runs its own code is usable in Galaxy only through an
#     entry whose code an administrator trusted at install time. Where ../shared/model_zoo/hyenadna/model exists
#     (not part of the repository; DNALENS_ZOO_HYENADNA overrides the path), HyenaDNA is installed trusted,
#     untrusted and trusted-then-changed before Galaxy starts and these tests run; elsewhere they are only linted.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PROJECT_VENV=${PROJECT_VENV:-$ROOT/.venv}
WORK=${GALAXY_WORK:-$ROOT/build/galaxy}
GALAXY_VENV=${GALAXY_VENV:-$WORK/venv}
PORT=${GALAXY_PORT:-8089}
KEY=dnalens-test-admin-key
ZOO_TESTS=galaxy_tools/model_zoo_tests
SERVER_TESTS=galaxy_tools/server_tests
TOOLS=${*:-"galaxy_tools/dnalens galaxy_tools/data_manager_dnalens_models/data_manager $ZOO_TESTS"}
DM_DIR=galaxy_tools/data_manager_dnalens_models/data_manager
ZOO_MODEL=${DNALENS_ZOO_HYENADNA:-$ROOT/../shared/model_zoo/hyenadna/model}
if [ -f "$ZOO_MODEL/config.json" ]; then
  ZOO_MODEL=$(cd "$ZOO_MODEL" && pwd -P)
  ZOO=1
else
  ZOO=""
fi
FRAGMENT_DIRS="$SERVER_TESTS"  # the fragments appended to the tools Galaxy loads, in this order
[ -z "$ZOO" ] || FRAGMENT_DIRS+=" $ZOO_TESTS"
# planemo 0.75.47 crashes when tools and workflows share one `planemo test` call: workflows get their own
# (against the same server). Without arguments every workflow is tested; with them, the *.gxwf.yml named.
ALL_WORKFLOWS="galaxy_tools/workflows/dnalens-gtn-zero-shot.gxwf.yml galaxy_tools/workflows/dnalens-scatter-variants.gxwf.yml
  galaxy_tools/workflows/dnalens-scatter-embed.gxwf.yml"
WORKFLOWS=""
[ $# -gt 0 ] || WORKFLOWS=$ALL_WORKFLOWS

rm -rf "$WORK/server" && mkdir -p "$WORK/server/deps/dnalens/any" "$WORK/reports"
SERVER=$WORK/server
# Copies of the tool folders: each tool XML with fragments gets their <test>s appended to its <tests>, in the
# order of the fragment folders; every other entry is a link to the real one.
tool_copies() {  # $1: real tool folder, $2: folder to write, the rest: fragment folders
  python3 - "$ZOO_MODEL" "$@" <<'PY'
import os, re, sys
zoo_model, source, target, *fragment_dirs = sys.argv[1:]
os.makedirs(target, exist_ok=True)
for name in sorted(n for n in os.listdir(source) if not n.startswith(".")):  # as the shell glob
    fragments = [f"{d}/{name[:-4]}.tests.xml" for d in fragment_dirs if name.endswith(".xml")]
    fragments = [f for f in fragments if os.path.exists(f)]
    if not fragments:
        os.symlink(os.path.abspath(f"{source}/{name}"), f"{target}/{name}")
        continue
    text = open(f"{source}/{name}").read()
    assert text.count("</tests>") == 1, f"{source}/{name}: expected one </tests>"
    tests = "\n".join(re.search(r"<tests>\n(.*?)\s*</tests>", open(f).read(), re.S).group(1) for f in fragments)
    text = re.sub(r"\n([ \t]*)</tests>", lambda m: "\n" + tests + "\n" + m.group(1) + "</tests>", text)
    open(f"{target}/{name}", "w").write(text.replace("__ZOO_MODEL__", zoo_model))
PY
}
# What Galaxy loads: the fragments that can run here. What is linted: every fragment, in its tool.
for out in "$SERVER/tools" "$SERVER/lint"; do
  fragments=$FRAGMENT_DIRS
  [ "$out" = "$SERVER/tools" ] || fragments="$SERVER_TESTS $ZOO_TESTS"
  tool_copies galaxy_tools/dnalens "$out/dnalens" $fragments
  tool_copies "$DM_DIR" "$out/data_manager" $fragments
done

"$PROJECT_VENV/bin/pip" install -q planemo==0.75.47
echo "== planemo lint"
"$PROJECT_VENV/bin/planemo" lint --fail_level warn galaxy_tools/dnalens "$DM_DIR" \
  $(find "$SERVER/lint" -type f -name "*.xml" | sort)
for workflow in $ALL_WORKFLOWS; do
  "$PROJECT_VENV/bin/planemo" workflow_lint --fail_level warn "$workflow"
done

if [ ! -x "$GALAXY_VENV/bin/galaxy" ]; then
  echo "== installing galaxy==26.1.1 into $GALAXY_VENV (a few minutes)"
  python3 -m venv "$GALAXY_VENV"
  "$GALAXY_VENV/bin/pip" install -q galaxy==26.1.1
fi

# The lab's server, for the tools' server mode. Galaxy starts meanwhile; the server is checked before the tests.
SERVE_TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
SERVE_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SERVE_URL=http://127.0.0.1:$SERVE_PORT
GALAXY_PID=""
SERVE_PID=""
stop_servers() {
  [ -z "$GALAXY_PID" ] || kill -TERM -- "-$GALAXY_PID" 2>/dev/null || true
  [ -z "$SERVE_PID" ] || kill -TERM "$SERVE_PID" 2>/dev/null || true  # it finishes in-flight requests, then exits
  sleep 3
  [ -z "$GALAXY_PID" ] || kill -KILL -- "-$GALAXY_PID" 2>/dev/null || true
  [ -z "$SERVE_PID" ] || kill -KILL "$SERVE_PID" 2>/dev/null || true
}
trap stop_servers EXIT
DNALENS_TOKEN=$SERVE_TOKEN "$PROJECT_VENV/bin/dnalens" serve --model "$ROOT/test-data/tiny-model" --host 127.0.0.1 \
  --port "$SERVE_PORT" > "$SERVER/dnalens_serve.log" 2>&1 &
SERVE_PID=$!

# Jobs run `dnalens` from the project's environment: Galaxy sources this for the 'dnalens' requirement. The token
# is here for the test only (an administrator sets DNALENS_TOKEN in the job destination's `env`); with
# DNALENS_ENDPOINT set too, every local-model test also checks that the tools keep such jobs local.
cat > "$SERVER/deps/dnalens/any/env.sh" <<EOF
export PATH="$PROJECT_VENV/bin:\$PATH"
export DNALENS_TOKEN=$SERVE_TOKEN
export DNALENS_ENDPOINT=$SERVE_URL
EOF
ln -sfn any "$SERVER/deps/dnalens/default"
cat > "$SERVER/dependency_resolvers_conf.xml" <<EOF
<dependency_resolvers>
  <galaxy_packages base_path="$SERVER/deps" versionless="true"/>
</dependency_resolvers>
EOF
TOOL_DIR=$SERVER/tools/dnalens
DM_TOOL=$SERVER/tools/data_manager/dnalens_register_model.xml
[ ! -L "$DM_TOOL" ] || DM_TOOL=$ROOT/$DM_DIR/dnalens_register_model.xml  # no fragments: the real one
cat > "$SERVER/tool_conf.xml" <<EOF
<toolbox>
  <section id="dnalens" name="DNALens">
    <tool_dir dir="$TOOL_DIR"/>
  </section>
</toolbox>
EOF
cat > "$SERVER/data_manager_conf.xml" <<EOF
<data_managers>
  <data_manager tool_file="$DM_TOOL" id="dnalens_register_model">
    <data_table name="huggingface">
      <output>
        <column name="value"/><column name="name"/><column name="pipeline_tag"/><column name="domain"/>
        <column name="free_tag"/><column name="version"/><column name="path"/>
      </output>
    </data_table>
  </data_manager>
</data_managers>
EOF
# Galaxy's data tables read writable copies of the test .loc files: the data manager tests append rows, and
# those must not land in the repository's test-data.
mkdir -p "$SERVER/tables"
for loc in huggingface fasta_indexes dnalens_servers; do
  sed -e "s|\${__HERE__}|$ROOT/test-data|g" -e "s|__DNALENS_TEST_SERVER_URL__|$SERVE_URL|g" "$ROOT/test-data/$loc.loc" \
    > "$SERVER/tables/$loc.loc"
done
sed "s|\${__HERE__}/test-data|$SERVER/tables|g" "$ROOT/galaxy_tools/dnalens/tool_data_table_conf.xml.test" \
  > "$SERVER/tables/tool_data_table_conf.xml"
if [ -n "$ZOO" ]; then
  echo "== model zoo: installing HyenaDNA ($ZOO_MODEL) trusted, untrusted and trusted-then-changed"
  # What the data manager runs when the administrator ticks "Trust this model's own Python code".
  for value in zoo-hyenadna-trusted zoo-hyenadna-changed; do
    "$PROJECT_VENV/bin/dnalens" register-model --model "$ZOO_MODEL" --trust-remote-code --value "$value" \
      --target-dir "$SERVER/zoo" --output-json "$SERVER/zoo/$value.json"
  done
  echo "# changed after it was installed" >> "$SERVER/zoo/zoo-hyenadna-changed/modeling_hyena.py"
  # A copy of the folder, as an administrator could make by hand: nobody recorded trust in its code.
  cp -r "$ZOO_MODEL" "$SERVER/zoo/zoo-hyenadna-untrusted"
  chmod -R u+w "$SERVER/zoo/zoo-hyenadna-untrusted"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    zoo-hyenadna-trusted "HyenaDNA (model zoo, code trusted)" text-generation sequence dnalens 1 "$SERVER/zoo/zoo-hyenadna-trusted" \
    zoo-hyenadna-untrusted "HyenaDNA (model zoo, code not trusted)" text-generation sequence dnalens 1 "$SERVER/zoo/zoo-hyenadna-untrusted" \
    zoo-hyenadna-changed "HyenaDNA (model zoo, code changed since trusted)" text-generation sequence dnalens 1 "$SERVER/zoo/zoo-hyenadna-changed" \
    >> "$SERVER/tables/huggingface.loc"
fi
cat > "$SERVER/galaxy.yml" <<EOF
gravity:
  virtualenv: $GALAXY_VENV
  log_dir: $SERVER/logs
  gunicorn: {bind: "127.0.0.1:$PORT", workers: 1}
  celery: {enable: true, enable_beat: false, concurrency: 1}
  gx_it_proxy: {enable: false}
galaxy:
  data_dir: $SERVER/data
  tool_config_file: $SERVER/tool_conf.xml
  tool_data_table_config_path: $SERVER/tables/tool_data_table_conf.xml
  tool_data_path: $SERVER/tool-data
  data_manager_config_file: $SERVER/data_manager_conf.xml
  dependency_resolvers_config_file: $SERVER/dependency_resolvers_conf.xml
  conda_auto_init: false
  conda_auto_install: false
  involucro_auto_init: false
  enable_mulled_containers: false
  admin_users: admin@example.org
  bootstrap_admin_api_key: $KEY
  id_secret: dnalens-test-id-secret
  database_auto_migrate: true
  enable_celery_tasks: true
  metadata_strategy: directory_celery
  check_migrate_tools: false
EOF

# Celery opens its results database in data_dir as it starts, racing the web server that creates the folder;
# losing the race kills the worker and every job then waits for ever. Create it first.
mkdir -p "$SERVER/data"
cd "$SERVER"
export GRAVITY_SKIP_SYSTEMD=1 GRAVITY_STATE_DIR="$SERVER/gravity"
setsid "$GALAXY_VENV/bin/galaxy" -c "$SERVER/galaxy.yml" > "$SERVER/galaxy.log" 2>&1 &
GALAXY_PID=$!

echo "== waiting for Galaxy on 127.0.0.1:$PORT"
for _ in $(seq 1 180); do
  if curl -sf "http://127.0.0.1:$PORT/api/version" > /dev/null; then break; fi
  if ! kill -0 "$GALAXY_PID" 2>/dev/null; then echo "Galaxy exited:"; tail -50 "$SERVER/galaxy.log"; exit 1; fi
  sleep 2
done
curl -sf "http://127.0.0.1:$PORT/api/version" || { echo "Galaxy did not start:"; tail -50 "$SERVER/galaxy.log"; exit 1; }
echo
# Jobs need the celery worker (metadata, uploads): fail now, not after hours of waiting, if it is not up.
for _ in $(seq 1 90); do
  if grep -q "celery@.* ready" "$SERVER/galaxy.log"; then break; fi
  if grep -q "Unrecoverable error" "$SERVER/galaxy.log"; then
    echo "Galaxy's celery worker failed:"; grep -A2 "Unrecoverable error" "$SERVER/galaxy.log"; exit 1
  fi
  sleep 2
done
grep -q "celery@.* ready" "$SERVER/galaxy.log" || { echo "Galaxy's celery worker did not start"; exit 1; }
for _ in $(seq 1 60); do  # started before Galaxy: ready long since, unless it failed
  if curl -sf -H "Authorization: Bearer $SERVE_TOKEN" "$SERVE_URL/info" > /dev/null; then break; fi
  if ! kill -0 "$SERVE_PID" 2>/dev/null; then echo "dnalens serve exited:"; tail -20 "$SERVER/dnalens_serve.log"; exit 1; fi
  sleep 1
done
curl -sf -H "Authorization: Bearer $SERVE_TOKEN" "$SERVE_URL/info" > /dev/null \
  || { echo "dnalens serve did not start:"; tail -20 "$SERVER/dnalens_serve.log"; exit 1; }
echo "== dnalens serve (tiny test model) on $SERVE_URL"

# Data manager tests need a real admin user (the bootstrap key belongs to no user).
USER_ID=$(curl -sf -X POST -H "x-api-key: $KEY" -H "Content-Type: application/json" "http://127.0.0.1:$PORT/api/users" \
  -d '{"username": "admin", "email": "admin@example.org", "password": "dnalens-test-password"}' \
  | python3 -c "import json, sys; print(json.load(sys.stdin)['id'])")
USER_KEY=$(curl -sf -X POST -H "x-api-key: $KEY" "http://127.0.0.1:$PORT/api/users/$USER_ID/api_key" | tr -d '"')

cd "$ROOT"
if [ -n "${GALAXY_SERVE_ONLY:-}" ]; then
  echo "Galaxy is serving on http://127.0.0.1:$PORT (admin@example.org / dnalens-test-password) and its DNALens"
  echo "server on $SERVE_URL; Ctrl-C stops both."
  wait "$GALAXY_PID"
fi
planemo_test() {  # $1: report name; the rest: what to test
  local name=$1
  shift
  "$PROJECT_VENV/bin/planemo" test --engine external_galaxy --galaxy_url "http://127.0.0.1:$PORT" \
    --galaxy_admin_key "$KEY" --galaxy_user_key "$USER_KEY" --no_shed_install --test_timeout 900 \
    --test_output "$WORK/reports/$name.html" --test_output_json "$WORK/reports/$name.json" "$@"
}
# Galaxy loads the copies with the fragments appended, and planemo tests those copies (planemo runs the tests of
# the file it is given, by index, and Galaxy the loaded copy's): so a real tool or folder named means its copy.
# A fragment folder named means the copies of the tools it has tests for.
PLANEMO_TOOLS=""
WANTED_FRAGMENTS=""
for tool in $TOOLS; do
  tool=${tool%/}
  case "$tool" in
    "$ZOO_TESTS" | "$SERVER_TESTS") WANTED_FRAGMENTS+=" $tool" ;;
    galaxy_tools/dnalens) PLANEMO_TOOLS+=" $TOOL_DIR" ;;
    "$DM_DIR") PLANEMO_TOOLS+=" $(dirname "$DM_TOOL")" ;;
    galaxy_tools/dnalens/*.xml) PLANEMO_TOOLS+=" $TOOL_DIR/${tool##*/}" ;;
    "$DM_DIR"/*.xml) PLANEMO_TOOLS+=" $(dirname "$DM_TOOL")/${tool##*/}" ;;
    *.gxwf.yml) WORKFLOWS+=" $tool" ;;
    *) PLANEMO_TOOLS+=" $tool" ;;
  esac
done
for fragments in $WANTED_FRAGMENTS; do
  if [ "$fragments" = "$ZOO_TESTS" ] && [ -z "$ZOO" ]; then
    echo "== model-zoo tests skipped: $ZOO_MODEL not found (../shared is not part of the repository)"
    continue
  fi
  for fragment in "$fragments"/*.tests.xml; do
    name=$(basename "$fragment" .tests.xml).xml
    copy=$TOOL_DIR/$name
    [ -e "$copy" ] || copy=$(dirname "$DM_TOOL")/$name
    [[ " $PLANEMO_TOOLS " == *" $(dirname "$copy") "* || " $PLANEMO_TOOLS " == *" $copy "* ]] || PLANEMO_TOOLS+=" $copy"
  done
done
echo "== planemo test: tools"
if [ -n "${PLANEMO_TOOLS// /}" ]; then
  planemo_test tool_tests $PLANEMO_TOOLS
fi
for workflow in $WORKFLOWS; do  # one call each, as only one per call was ever tried with this planemo
  echo "== planemo test: workflow $workflow"
  planemo_test "workflow_$(basename "$workflow" .gxwf.yml)" "$workflow"
done
