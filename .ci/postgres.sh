#!/usr/bin/env bash
# Start Debian's PostgreSQL cluster and print a URL for the tests (PEC_TEST_POSTGRES_URL).
# Used by .ci/run; run it by hand (as root) to include the PostgreSQL tests in `make test`.
set -euo pipefail
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q .; then
  pg_createcluster "$version" main >/dev/null
fi
cluster_version=$(pg_lsclusters -h | awk 'NR==1 {print $1}')
cluster_name=$(pg_lsclusters -h | awk 'NR==1 {print $2}')
port=$(pg_lsclusters -h | awk 'NR==1 {print $3}')
pg_ctlcluster "$cluster_version" "$cluster_name" start >/dev/null 2>&1 || true
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q -p $port" && break
  sleep 1
done
su postgres -c "psql -q -p $port -tc \"SELECT 1 FROM pg_roles WHERE rolname='pec_test'\"" | grep -q 1 \
  || su postgres -c "psql -q -p $port -c \"CREATE ROLE pec_test LOGIN SUPERUSER PASSWORD 'pec_test'\""
echo "postgresql://pec_test:pec_test@127.0.0.1:$port/postgres"
