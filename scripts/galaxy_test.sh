#!/usr/bin/env bash
# planemo lint + planemo test of the Galaxy tools against a real Galaxy server on 127.0.0.1, offline.
#
#   bash scripts/galaxy_test.sh [TOOL ...]    # uses .venv (the project's environment) and build/galaxy
#   GALAXY_SERVE_ONLY=1 bash scripts/galaxy_test.sh   # start the same server and keep it, to try the tools
#
# Installs galaxy==26.1.1 into its own virtualenv (once; about 4 minutes), starts it with the tools, the
# test data tables and a dependency resolver that runs jobs in the project's environment, runs the tests,
# and always stops the server, pass or fail. Reports land in build/galaxy/reports/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PROJECT_VENV=${PROJECT_VENV:-$ROOT/.venv}
WORK=${GALAXY_WORK:-$ROOT/build/galaxy}
GALAXY_VENV=${GALAXY_VENV:-$WORK/venv}
PORT=${GALAXY_PORT:-8089}
KEY=dnalens-test-admin-key
TOOLS=${*:-"galaxy_tools/dnalens galaxy_tools/data_manager_dnalens_models/data_manager"}
# planemo 0.75.47 crashes when tools and workflows share one `planemo test` call: workflows get their own.
WORKFLOWS=""
[ $# -gt 0 ] || WORKFLOWS="galaxy_tools/workflows/dnalens-gtn-zero-shot.gxwf.yml"

"$PROJECT_VENV/bin/pip" install -q planemo==0.75.47
echo "== planemo lint"
"$PROJECT_VENV/bin/planemo" lint --fail_level warn galaxy_tools/dnalens galaxy_tools/data_manager_dnalens_models/data_manager
"$PROJECT_VENV/bin/planemo" workflow_lint --fail_level warn galaxy_tools/workflows/dnalens-gtn-zero-shot.gxwf.yml

if [ ! -x "$GALAXY_VENV/bin/galaxy" ]; then
  echo "== installing galaxy==26.1.1 into $GALAXY_VENV (a few minutes)"
  python3 -m venv "$GALAXY_VENV"
  "$GALAXY_VENV/bin/pip" install -q galaxy==26.1.1
fi

rm -rf "$WORK/server" && mkdir -p "$WORK/server/deps/dnalens/any" "$WORK/reports"
SERVER=$WORK/server
# Jobs run `dnalens` from the project's environment: Galaxy sources this for the 'dnalens' requirement.
cat > "$SERVER/deps/dnalens/any/env.sh" <<EOF
export PATH="$PROJECT_VENV/bin:\$PATH"
EOF
ln -sfn any "$SERVER/deps/dnalens/default"
cat > "$SERVER/dependency_resolvers_conf.xml" <<EOF
<dependency_resolvers>
  <galaxy_packages base_path="$SERVER/deps" versionless="true"/>
</dependency_resolvers>
EOF
cat > "$SERVER/tool_conf.xml" <<EOF
<toolbox>
  <section id="dnalens" name="DNALens">
    <tool_dir dir="$ROOT/galaxy_tools/dnalens"/>
  </section>
</toolbox>
EOF
cat > "$SERVER/data_manager_conf.xml" <<EOF
<data_managers>
  <data_manager tool_file="$ROOT/galaxy_tools/data_manager_dnalens_models/data_manager/dnalens_register_model.xml" id="dnalens_register_model">
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
for loc in huggingface fasta_indexes; do
  sed "s|\${__HERE__}|$ROOT/test-data|g" "$ROOT/test-data/$loc.loc" > "$SERVER/tables/$loc.loc"
done
sed "s|\${__HERE__}/test-data|$SERVER/tables|g" "$ROOT/galaxy_tools/dnalens/tool_data_table_conf.xml.test" \
  > "$SERVER/tables/tool_data_table_conf.xml"
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
stop_galaxy() {
  kill -TERM -- "-$GALAXY_PID" 2>/dev/null || true
  sleep 3
  kill -KILL -- "-$GALAXY_PID" 2>/dev/null || true
}
trap stop_galaxy EXIT

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

# Data manager tests need a real admin user (the bootstrap key belongs to no user).
USER_ID=$(curl -sf -X POST -H "x-api-key: $KEY" -H "Content-Type: application/json" "http://127.0.0.1:$PORT/api/users" \
  -d '{"username": "admin", "email": "admin@example.org", "password": "dnalens-test-password"}' \
  | python3 -c "import json, sys; print(json.load(sys.stdin)['id'])")
USER_KEY=$(curl -sf -X POST -H "x-api-key: $KEY" "http://127.0.0.1:$PORT/api/users/$USER_ID/api_key" | tr -d '"')

cd "$ROOT"
if [ -n "${GALAXY_SERVE_ONLY:-}" ]; then
  echo "Galaxy is serving on http://127.0.0.1:$PORT (admin@example.org / dnalens-test-password); Ctrl-C stops it."
  wait "$GALAXY_PID"
fi
planemo_test() {  # $1: report name; the rest: what to test
  local name=$1
  shift
  "$PROJECT_VENV/bin/planemo" test --engine external_galaxy --galaxy_url "http://127.0.0.1:$PORT" \
    --galaxy_admin_key "$KEY" --galaxy_user_key "$USER_KEY" --no_shed_install --test_timeout 900 \
    --test_output "$WORK/reports/$name.html" --test_output_json "$WORK/reports/$name.json" "$@"
}
echo "== planemo test: tools"
planemo_test tool_tests $TOOLS
if [ -n "$WORKFLOWS" ]; then
  echo "== planemo test: workflows"
  planemo_test workflow_tests $WORKFLOWS
fi
