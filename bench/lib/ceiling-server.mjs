// The HTTP ceiling (issue 17): the least a NestJS + Fastify server does for a JSON POST, started as
// its own process like Parley's server and driven by the same load generator, so that ingest can be
// read as a share of what the framework, Node and the machine allow. It parses the body Parley's
// API channel gets and answers a small JSON of the same shape; it stores nothing. A second route has
// the chat visitor route's shape (POST /channels/chat/c/:cid/messages, a bearer token, a JSON body
// answered 201 with the message as the widget gets it), for the chat scenario's ratio.
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

  visitorMessage(body) {
    return { message: { id: randomUUID(), direction: 'inbound', text: String(body?.text ?? ''), at: new Date().toISOString() } };
  }
}
// Decorators applied by hand: this file is plain JavaScript, run without a compiler.
Get('health')(CeilingController.prototype, 'health', Object.getOwnPropertyDescriptor(CeilingController.prototype, 'health'));
Post('api/channels/api/messages')(CeilingController.prototype, 'receive', Object.getOwnPropertyDescriptor(CeilingController.prototype, 'receive'));
HttpCode(201)(CeilingController.prototype, 'receive', Object.getOwnPropertyDescriptor(CeilingController.prototype, 'receive'));
Body()(CeilingController.prototype, 'receive', 0);
const visitorMessage = Object.getOwnPropertyDescriptor(CeilingController.prototype, 'visitorMessage');
Post('channels/chat/c/:cid/messages')(CeilingController.prototype, 'visitorMessage', visitorMessage);
HttpCode(201)(CeilingController.prototype, 'visitorMessage', visitorMessage);
Body()(CeilingController.prototype, 'visitorMessage', 0);
Controller()(CeilingController);

class CeilingModule {}
Module({ controllers: [CeilingController] })(CeilingModule);

const app = await NestFactory.create(CeilingModule, new FastifyAdapter(), { logger: false });
await app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
