#!/usr/bin/env node
// The HGRG stand-in's feed consumer (docs/protocols/feed.md). It reads its own queue
// hgrip.downstream.<user> as the downstream user made by `hgrip downstream add`, validates every
// message against the published JSON Schemas (contracts/jsonschema, read from disk) with ajv — not
// with the platform's Python — acks what is valid, rejects the rest (the broker keeps it in
// hgrip.downstream.<user>.rejected), and journals each message with its outcome in
// $HGRIP_VAR/hgrg-feed/received.jsonl.
//
// Environment: HGRIP_AMQP_URI (host, port and vhost; its credentials are not used),
// HGRIP_FEED_USER (default hgrg), HGRIP_FEED_PASSWORD_FILE or HGRIP_FEED_PASSWORD,
// HGRIP_FEED_QUEUE (default hgrip.downstream.<user>), HGRIP_FEED_SCHEMAS (default the repository's
// contracts/jsonschema), HGRIP_VAR (default ./var).
'use strict';

const fs = require('fs');
const path = require('path');
const amqp = require('amqplib');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const RETRY_MS = 2000;

function log(event, fields = {}, level = 'info') {
  // One JSON object per line, as the platform's structlog output; never the password.
  process.stdout.write(JSON.stringify({ timestamp: new Date().toISOString(), level,
    logger: 'hgrg-feed', event, ...fields }) + '\n');
}

function settings(env = process.env) {
  const user = env.HGRIP_FEED_USER || 'hgrg';
  let password = env.HGRIP_FEED_PASSWORD || '';
  if (env.HGRIP_FEED_PASSWORD_FILE) {
    password = fs.readFileSync(env.HGRIP_FEED_PASSWORD_FILE, 'utf8').trim();
  }
  if (!password) {
    throw new Error('no password: set HGRIP_FEED_PASSWORD_FILE or HGRIP_FEED_PASSWORD');
  }
  const broker = new URL((env.HGRIP_AMQP_URI || 'amqp://127.0.0.1:5672/').replace(/^pyamqp:/, 'amqp:'));
  const vhost = broker.pathname.length > 1 ? decodeURIComponent(broker.pathname.slice(1)) : '/';
  return {
    user,
    password,
    queue: env.HGRIP_FEED_QUEUE || `hgrip.downstream.${user}`,
    connect: { protocol: broker.protocol.replace(':', ''), hostname: broker.hostname,
      port: Number(broker.port || 5672), vhost, username: user, password, heartbeat: 30 },
    where: `${broker.hostname}:${broker.port || 5672}/${vhost}`,
    schemas: env.HGRIP_FEED_SCHEMAS || path.resolve(__dirname, '..', '..', '..', 'contracts', 'jsonschema'),
    journal: path.join(path.resolve(env.HGRIP_VAR || 'var'), 'hgrg-feed', 'received.jsonl'),
  };
}

// One compiled validator per published event, keyed "<source>.<event_type>.v<version>" as the files.
function loadValidators(directory) {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  const validators = new Map();
  for (const file of fs.readdirSync(directory).filter((name) => name.endsWith('.json')).sort()) {
    const schema = JSON.parse(fs.readFileSync(path.join(directory, file), 'utf8'));
    validators.set(file.replace(/\.json$/, ''), ajv.compile(schema));
  }
  if (validators.size === 0) {
    throw new Error(`no JSON Schema in ${directory}`);
  }
  return validators;
}

// What HGRG makes of one message: the schema it is checked against, and why it is invalid, if it is.
function judge(validators, routingKey, content) {
  let body;
  try {
    body = JSON.parse(content.toString('utf8'));
  } catch (error) {
    return { body: null, schema: null, errors: [`not JSON: ${error.message}`] };
  }
  const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
  const name = isObject ? `${body.source}.${body.event_type}.v${body.schema_version}` : null;
  const validate = name && validators.get(name);
  if (!validate) {
    return { body, schema: null, errors: [`no published schema for ${name || 'a non-object body'}`] };
  }
  const errors = [];
  if (routingKey !== `${body.source}.${body.event_type}`) {
    errors.push(`routing key ${routingKey} does not name the event ${body.source}.${body.event_type}`);
  }
  if (!validate(body)) {
    for (const e of validate.errors) {
      errors.push(`${e.instancePath || '/'} ${e.message}`);
    }
  }
  return { body, schema: name, errors };
}

function journalWriter(file) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return (record) => fs.appendFileSync(file, JSON.stringify(record) + '\n');
}

async function consume(config, validators, append, stopping) {
  const connection = await amqp.connect(config.connect);
  // Listeners first: a channel refused (queue missing) also emits 'error' on the connection.
  const closed = new Promise((resolve) => connection.on('close', resolve));
  connection.on('error', (error) => log('feed_connection_error', { error: error.message }, 'warning'));
  const drop = () => connection.close().catch(() => undefined);
  let channel;
  try {
    channel = await connection.createChannel();
    channel.on('error', (error) => log('feed_channel_error', { error: error.message }, 'warning'));
    channel.on('close', drop);   // one channel per connection: without it, start over
    await channel.prefetch(50);
    await channel.checkQueue(config.queue);   // passive: the user may not declare anything
  } catch (error) {
    drop();
    throw error;
  }
  log('feed_consuming', { queue: config.queue, broker: config.where, user: config.user,
    schemas: validators.size });
  await channel.consume(config.queue, (message) => {
    if (message === null) {
      // The broker cancelled the consumer (its queue was deleted): start over, which waits for the queue.
      log('feed_cancelled_by_broker', { queue: config.queue }, 'warning');
      drop();
      return;
    }
    const { body, schema, errors } = judge(validators, message.fields.routingKey, message.content);
    const valid = errors.length === 0;
    append({ received_at: new Date().toISOString(), message_id: message.properties.messageId || null,
      routing_key: message.fields.routingKey, redelivered: message.fields.redelivered, schema, valid,
      errors, message: body });
    log(valid ? 'feed_message_valid' : 'feed_message_invalid',
      { message_id: message.properties.messageId || null, routing_key: message.fields.routingKey,
        schema, errors }, valid ? 'info' : 'warning');
    if (valid) {
      channel.ack(message);
    } else {
      channel.nack(message, false, false);   // dead-lettered to <queue>.rejected by the queue's arguments
    }
  });
  stopping.then(drop);
  await closed;
}

async function main() {
  const config = settings();
  const validators = loadValidators(config.schemas);
  const append = journalWriter(config.journal);
  let stop;
  const stopping = new Promise((resolve) => { stop = resolve; });
  let stopped = false;
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.on(signal, () => { stopped = true; log('feed_stopping', { signal }); stop(); });
  }
  log('feed_starting', { queue: config.queue, broker: config.where, user: config.user,
    journal: config.journal, schemas: [...validators.keys()] });
  while (!stopped) {
    try {
      await consume(config, validators, append, stopping);
      if (!stopped) log('feed_disconnected', { retry_ms: RETRY_MS }, 'warning');
    } catch (error) {
      // Broker down, user not created yet (`hgrip downstream add`), queue missing: try again.
      log('feed_cannot_consume', { error: error.message, retry_ms: RETRY_MS }, 'warning');
    }
    if (!stopped) {
      await Promise.race([new Promise((resolve) => setTimeout(resolve, RETRY_MS)), stopping]);
    }
  }
  log('feed_stopped');
}

if (require.main === module) {
  main().catch((error) => {
    log('feed_failed', { error: error.message }, 'error');
    process.exit(1);
  });
}

module.exports = { judge, loadValidators, settings };
