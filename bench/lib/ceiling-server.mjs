// The HTTP ceiling (issue 17): the least a NestJS + Fastify server does for a JSON POST, started as
// its own process like Parley's server and driven by the same load generator, so that ingest can be
// read as a share of what the framework, Node and the machine allow. It parses the body Parley's
// API channel gets and answers a small JSON of the same shape; it stores nothing.
// Run: PORT=… node bench/lib/ceiling-server.mjs (bench/lib/server.mjs startCeilingServer does it).
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

class CeilingController {
  health() {
    return { status: 'ok' };
  }

  receive(body) {
    return { conversationId: randomUUID(), messageId: String(body?.externalMessageId ?? ''), duplicate: false };
  }
}
// Decorators applied by hand: this file is plain JavaScript, run without a compiler.
Get('health')(CeilingController.prototype, 'health', Object.getOwnPropertyDescriptor(CeilingController.prototype, 'health'));
Post('api/channels/api/messages')(CeilingController.prototype, 'receive', Object.getOwnPropertyDescriptor(CeilingController.prototype, 'receive'));
HttpCode(201)(CeilingController.prototype, 'receive', Object.getOwnPropertyDescriptor(CeilingController.prototype, 'receive'));
Body()(CeilingController.prototype, 'receive', 0);
Controller()(CeilingController);

class CeilingModule {}
Module({ controllers: [CeilingController] })(CeilingModule);

const app = await NestFactory.create(CeilingModule, new FastifyAdapter(), { logger: false });
await app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
