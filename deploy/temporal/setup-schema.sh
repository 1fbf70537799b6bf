#!/bin/sh
# Creates Temporal's two PostgreSQL databases when missing and brings their schemas to the server's
# version with temporal-sql-tool (idempotent: safe on every start). Run by scripts/temporal-cluster.sh
# and by docker-compose.yml's temporal-schema service (temporalio/admin-tools image).
#   SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD (read by temporal-sql-tool itself)
#   TEMPORAL_SQL_TOOL: the tool (default: temporal-sql-tool on PATH)
set -eu
tool="${TEMPORAL_SQL_TOOL:-temporal-sql-tool}"
export SQL_PLUGIN=postgres12
for db in temporal temporal_visibility; do
  kind=temporal
  [ "$db" = temporal_visibility ] && kind=visibility
  "$tool" --db "$db" create-database
  # Only the version table on a new database (no-op when it exists), then the versioned migrations.
  "$tool" --db "$db" setup-schema -v 0.0
  "$tool" --db "$db" update-schema --schema-name "postgresql/v12/$kind"
done
