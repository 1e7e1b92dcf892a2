#!/bin/bash
# Run once by the influxdb:2 image after its first-start setup (DOCKER_INFLUXDB_INIT_MODE=setup), with the CLI
# already configured for the new instance. Maps the InfluxQL database "alloclat" (retention policy "autogen") to
# the bucket, so Grafana's InfluxQL datasource and `influx v1 shell` can query it.
set -euo pipefail

influx v1 dbrp create \
  --org "${DOCKER_INFLUXDB_INIT_ORG}" \
  --bucket-id "${DOCKER_INFLUXDB_INIT_BUCKET_ID}" \
  --db "${ALLOCLAT_INFLUXQL_DB:-alloclat}" \
  --rp autogen \
  --default
