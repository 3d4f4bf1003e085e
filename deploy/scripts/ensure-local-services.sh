#!/usr/bin/env bash
# Make sure the servers the platform and its tests use are up: PostgreSQL, RabbitMQ (with the
# management plugin, which the tests use to create a vhost per test) and Redis (the gateway's rate
# limits). Skipped for a remote broker, database or Redis named by HGRIP_AMQP_URI /
# HGRIP_TEST_PG_URL / HGRIP_REDIS_URL. Idempotent.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 1; done; echo "port $1 did not open" >&2; return 1; }

if [ -z "${HGRIP_TEST_PG_URL:-}" ] && ! port_open 5432; then
  if command -v pg_ctlcluster >/dev/null; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    wait_port 5432
  else
    echo "PostgreSQL is not running on 127.0.0.1:5432 and cannot be started here" >&2; exit 1
  fi
fi

if [ -z "${HGRIP_TEST_AMQP_URI:-}" ] && command -v rabbitmq-plugins >/dev/null; then
  if ! port_open 5672; then
    echo "starting RabbitMQ"
    rabbitmq-server -detached
    wait_port 5672
  fi
  if ! port_open 15672; then
    echo "enabling rabbitmq_management"
    rabbitmq-plugins enable rabbitmq_management >/dev/null
    wait_port 15672
  fi
fi

# Redis keeps the gateway's rate limits (gateway/hgrip_gateway/throttle.py). Without it the limits fail
# open (a warning per request), so a machine without redis-server only warns here.
if [ -z "${HGRIP_REDIS_URL:-}" ] && ! port_open 6379; then
  if command -v redis-server >/dev/null; then
    echo "starting Redis"
    redis-server --bind 127.0.0.1 --port 6379 --daemonize yes >/dev/null
    wait_port 6379
  else
    echo "warning: Redis is not running on 127.0.0.1:6379: the gateway's rate limits are off" >&2
  fi
fi

# hgrip.unroutable keeps events no queue was bound for, for inspection; bound it (newest kept) so
# event types nobody subscribes to cannot grow it forever. A policy, so declared queues need no change.
if [ -z "${HGRIP_TEST_AMQP_URI:-}" ] && command -v rabbitmqctl >/dev/null; then
  rabbitmqctl set_policy -p / hgrip-unroutable '^hgrip\.unroutable$' \
    '{"max-length": 100000, "overflow": "drop-head"}' --apply-to queues >/dev/null 2>&1 || true
fi
