import { JOB_QUEUE } from '../../src/application/ports/job-queue.port';
import { PURGE_CONVERSATION_JOB, purgeJobId } from '../../src/application/jobs/purge-conversation.job';
import type { EmbeddedJobQueue } from '../../src/infrastructure/jobs/embedded-job-queue';
import { eventually } from '../contracts/job-queue.contract';
import { inbound, ManualClock, startTestApp, type TestApp } from '../support/app-harness';

const DAY = 24 * 60 * 60 * 1000;

/**
 * Rule 7 end to end on the embedded queue: trashing schedules a purge job 30 days out; once the
 * (manual) clock passes that, running the due jobs deletes the conversation for good. A restored
 * conversation, or one trashed again later, is not purged by the old job.
 */
describe('Trash purge after 30 days (jobs)', () => {
  let t: TestApp;
  let token: string;
  let queue: EmbeddedJobQueue;
  const clock = new ManualClock();

  beforeAll(async () => {
    t = await startTestApp({ clock });
    token = await t.login();
    queue = t.app.get<EmbeddedJobQueue>(JOB_QUEUE);
  });
  afterAll(() => t.close());

  const post = (url: string) => t.request('POST', url, { body: {}, token });
  const get = (url: string) => t.request('GET', url, { token });
  // Only the purge jobs: the trash sweep (also due once the clock moved) must not be what purges here.
  const runDuePurges = () => queue.drain([PURGE_CONVERSATION_JOB]);
  const trashIds = async () => ((await get('/api/views/trash/conversations?limit=200')).body.items as Array<{ id: string }>).map((c) => c.id);

  async function newConversation(): Promise<string> {
    const res = await t.request('POST', '/api/channels/api/messages', { body: inbound(), token });
    expect(res.status).toBe(201);
    return res.body.conversationId as string;
  }

  /** Trashes it and waits until ScheduleTrashPurge has scheduled its purge; returns the job id. */
  async function trash(conversationId: string): Promise<string> {
    expect((await post(`/api/conversations/${conversationId}/trash`)).status).toBe(200);
    const trashedAt = (await get(`/api/conversations/${conversationId}`)).body.trashedAt as string;
    const jobId = purgeJobId(conversationId, trashedAt);
    await eventually(async () => expect(await queue.job(jobId)).toMatchObject({ type: 'conversation.purge', state: 'delayed' }));
    return jobId;
  }

  it('purges a trashed conversation once its 30 days have passed, not before', async () => {
    const conversationId = await newConversation();
    const jobId = await trash(conversationId);

    clock.advance(29 * DAY);
    await runDuePurges();
    expect((await get(`/api/conversations/${conversationId}`)).status).toBe(200);
    expect(await trashIds()).toContain(conversationId);

    clock.advance(DAY + 1000);
    await runDuePurges();

    expect((await queue.job(jobId))?.state).toBe('completed');
    expect((await get(`/api/conversations/${conversationId}`)).status).toBe(404);
    expect(await trashIds()).not.toContain(conversationId);
  });

  it('does not purge a conversation that was restored', async () => {
    const conversationId = await newConversation();
    const jobId = await trash(conversationId);
    expect((await post(`/api/conversations/${conversationId}/restore`)).status).toBe(200);

    clock.advance(31 * DAY);
    await runDuePurges();

    expect((await queue.job(jobId))?.state).toBe('completed'); // ran, and found nothing to do
    const res = await get(`/api/conversations/${conversationId}`);
    expect(res.status).toBe(200);
    expect(res.body.trashed).toBe(false);
  });

  it("purges a conversation trashed again on its second trashing's schedule, not the first", async () => {
    const conversationId = await newConversation();
    const firstJob = await trash(conversationId);
    expect((await post(`/api/conversations/${conversationId}/restore`)).status).toBe(200);
    clock.advance(DAY);
    const secondJob = await trash(conversationId);
    expect(secondJob).not.toBe(firstJob);

    clock.advance(29 * DAY + 1000); // the first trashing's 30 days are over, the second's are not
    await runDuePurges();
    expect((await queue.job(firstJob))?.state).toBe('completed');
    expect(await trashIds()).toContain(conversationId);

    clock.advance(DAY);
    await runDuePurges();
    expect((await queue.job(secondJob))?.state).toBe('completed');
    expect((await get(`/api/conversations/${conversationId}`)).status).toBe(404);
  });

  it('keeps the trash sweep as a repeatable job that purges what is overdue', async () => {
    expect(await queue.job('trash.sweep')).toMatchObject({ type: 'trash.sweep', state: expect.stringMatching(/delayed|waiting/) });
    const conversationId = await newConversation();
    const jobId = await trash(conversationId);
    clock.advance(31 * DAY);

    await queue.drain(['trash.sweep']);

    expect((await get(`/api/conversations/${conversationId}`)).status).toBe(404);
    await runDuePurges();
    expect((await queue.job(jobId))?.state).toBe('completed'); // found it gone: done
  });
});
