import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MeetingBanRepository } from '../../src/db/MeetingBanRepository.ts';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import type { EmbeddedCluster } from '../../src/start/EmbeddedCluster.ts';
import { bbbCall, SignallingMember, xmlTag } from '../support/portalClient.ts';
import { startTestCluster, stopTestCluster, waitFor } from '../support/startTestCluster.ts';

describe('BigBlueButton API on the embedded system: a portal creates a meeting and sends people in', () => {
  let cluster: EmbeddedCluster;
  let secret: string;

  before(async () => {
    cluster = await startTestCluster();
    const tenant = await new TenantRepository(cluster.database).findDefault();
    assert.ok(tenant, 'the default tenant exists from the first start');
    secret = tenant.secrets[0]!;
  });

  after(() => stopTestCluster(cluster));

  /** Follows a fresh BBB join link for `fullName` into `meetingID`, as the meeting page would. */
  const enter = async (meetingID: string, fullName: string, role: 'MODERATOR' | 'VIEWER') => {
    const joined = await bbbCall(cluster.controller.url, secret, 'join', { meetingID, fullName, role });
    return SignallingMember.followJoinLink(cluster.controller.url, joined.location!);
  };

  it('create → join link → the page joins with it, as the portal named and ranked the person', async () => {
    const created = await bbbCall(cluster.controller.url, secret, 'create', {
      meetingID: 'physics-101',
      name: 'Physics 101',
    });
    assert.equal(xmlTag(created.xml, 'returncode'), 'SUCCESS', created.xml);

    const redirect = await bbbCall(cluster.controller.url, secret, 'join', {
      meetingID: 'physics-101',
      fullName: 'Marie Curie',
      role: 'MODERATOR',
      userID: 'lms-user-42',
    });
    assert.equal(redirect.status, 302);
    const link = new URL(redirect.location!);
    assert.equal(link.origin, cluster.controller.url, 'the link leads to this controller’s meeting page');
    const room = decodeURIComponent(link.pathname.replace(/^\/r\//, ''));
    const joinToken = link.searchParams.get('join');
    assert.ok(joinToken, 'the link carries the signed invitation');

    const marie = await SignallingMember.connect(cluster.controller.url);
    const joined = await marie.request({ type: 'join', room, name: 'typed something else', joinToken });
    assert.equal(joined.ok, true, JSON.stringify(joined));
    const self = (joined.data as { self: { name: string; role: string } }).self;
    assert.deepEqual([self.name, self.role], ['Marie Curie', 'moderator']);

    const info = await bbbCall(cluster.controller.url, secret, 'getMeetingInfo', {
      meetingID: 'physics-101',
    });
    assert.equal(xmlTag(info.xml, 'running'), 'true', info.xml);
    assert.equal(xmlTag(info.xml, 'participantCount'), '1');
    assert.equal(xmlTag(info.xml, 'fullName'), 'Marie Curie');
    assert.equal(xmlTag(info.xml, 'userID'), 'lms-user-42');
    const metrics = await (await fetch(`${cluster.controller.url}/metrics`)).text();
    assert.match(metrics, /^bbb_meetings\{tenant="default"\} 1$/m, 'BigBlueButton’s gauges beside dotm’s');
    assert.match(metrics, /^bbb_meetings_participants\{tenant="default"\} 1$/m);
    assert.match(metrics, /^dotm_participants 1$/m);

    // Someone who guesses the room name cannot walk in without an invitation.
    const intruder = await SignallingMember.connect(cluster.controller.url);
    const refused = await intruder.request({ type: 'join', room, name: 'Mallory' });
    assert.equal(refused.ok, false);
    assert.equal(refused.error?.code, 'forbidden');
    assert.match(refused.error?.message ?? '', /join link/);
    // Nor with a forged one.
    const forged = await intruder.request({
      type: 'join',
      room,
      name: 'Mallory',
      joinToken: `${joinToken}x`,
    });
    assert.equal(forged.error?.code, 'forbidden');
    intruder.close();

    // The portal ends the meeting: the person in it is told and the room is gone.
    const ended = await bbbCall(cluster.controller.url, secret, 'end', { meetingID: 'physics-101' });
    assert.equal(xmlTag(ended.xml, 'returncode'), 'SUCCESS', ended.xml);
    await waitFor(
      'roomClosed at the participant',
      () => marie.events.some((e) => e.type === 'roomClosed') || undefined,
    );
    const running = await bbbCall(cluster.controller.url, secret, 'isMeetingRunning', {
      meetingID: 'physics-101',
    });
    assert.equal(xmlTag(running.xml, 'running'), 'false');
    marie.close();

    // The invitation of an ended meeting no longer opens anything.
    const late = await SignallingMember.connect(cluster.controller.url);
    const afterEnd = await late.request({ type: 'join', room, name: 'late', joinToken });
    assert.equal(afterEnd.error?.code, 'not-found');
    late.close();
  });

  it('roles matter: a viewer cannot mute, remove or end; the moderator can', async () => {
    await bbbCall(cluster.controller.url, secret, 'create', { meetingID: 'seminar-2', name: 'Seminar 2' });
    const teacher = await enter('seminar-2', 'Teacher', 'MODERATOR');
    const student = await enter('seminar-2', 'Student', 'VIEWER');
    const other = await enter('seminar-2', 'Other', 'VIEWER');
    const studentId = student.participantId!;
    const otherId = other.participantId!;

    for (const request of [
      { type: 'muteParticipant', participantId: otherId, audio: true },
      { type: 'removeParticipant', participantId: otherId },
      { type: 'endMeeting' },
    ]) {
      const refused = await student.request(request);
      assert.equal(refused.error?.code, 'forbidden', `${request.type}: ${JSON.stringify(refused)}`);
    }

    const muted = await teacher.request({ type: 'muteParticipant', participantId: studentId, audio: true });
    assert.equal(muted.ok, true, JSON.stringify(muted));
    await waitFor(
      'muteRequested at the student',
      () => student.events.some((e) => e.type === 'muteRequested') || undefined,
    );

    const removed = await teacher.request({ type: 'removeParticipant', participantId: otherId });
    assert.equal(removed.ok, true, JSON.stringify(removed));
    await waitFor('removed at the other', () => other.events.some((e) => e.type === 'removed') || undefined);

    const ended = await teacher.request({ type: 'endMeeting' });
    assert.equal(ended.ok, true, JSON.stringify(ended));
    await waitFor(
      'roomClosed at the student',
      () => student.events.some((e) => e.type === 'roomClosed') || undefined,
    );
    for (const member of [teacher, student, other]) member.close();
  });

  it('lock settings: a viewer may not share a locked camera (the controller refuses it), the moderator may', async () => {
    await bbbCall(cluster.controller.url, secret, 'create', {
      meetingID: 'exam',
      name: 'Exam',
      lockSettingsDisableCam: 'true',
    });
    const teacher = await enter('exam', 'Teacher', 'MODERATOR');
    const student = await enter('exam', 'Student', 'VIEWER');
    const camera = await student.request({ type: 'publish', kind: 'camera', audio: true, video: true });
    assert.equal(camera.error?.code, 'forbidden', JSON.stringify(camera));
    assert.match(camera.error?.message ?? '', /cameras are locked for viewers/);
    const voice = await student.request({ type: 'publish', kind: 'camera', audio: true, video: false });
    assert.equal(voice.ok, true, `the microphone is not locked: ${JSON.stringify(voice)}`);
    const teaching = await teacher.request({ type: 'publish', kind: 'camera', audio: true, video: true });
    assert.equal(teaching.ok, true, `moderators are never locked: ${JSON.stringify(teaching)}`);
    const ended = await teacher.request({ type: 'endMeeting' });
    assert.equal(ended.ok, true, JSON.stringify(ended));
    for (const member of [teacher, student]) member.close();
  });

  it('a participant a moderator removed cannot come back through a fresh join call; others can', async () => {
    const created = await bbbCall(cluster.controller.url, secret, 'create', {
      meetingID: 'seminar-3',
      name: 'Seminar 3',
    });
    const meetingId = xmlTag(created.xml, 'internalMeetingID')!;
    const link = async (fullName: string, role: string, userID: string) =>
      (
        await bbbCall(cluster.controller.url, secret, 'join', {
          meetingID: 'seminar-3',
          fullName,
          role,
          userID,
        })
      ).location!;
    const teacher = await SignallingMember.followJoinLink(
      cluster.controller.url,
      await link('Teacher', 'MODERATOR', 'teacher-1'),
    );
    const troll = await SignallingMember.followJoinLink(
      cluster.controller.url,
      await link('Troll', 'VIEWER', 'troll-666'),
    );
    const removed = await teacher.request({ type: 'removeParticipant', participantId: troll.participantId });
    assert.equal(removed.ok, true, JSON.stringify(removed));
    troll.close();

    // The portal still hands out a join link (it does not know), but the meeting refuses it, and says why.
    const again = new URL(await link('Troll', 'VIEWER', 'troll-666'));
    const back = await SignallingMember.connect(cluster.controller.url);
    const bans = new MeetingBanRepository(cluster.database);
    await waitFor('the removal recorded', () => bans.isBanned(meetingId, 'troll-666'));
    const refused = await back.request({
      type: 'join',
      room: decodeURIComponent(again.pathname.replace(/^\/r\//, '')),
      name: 'Troll',
      joinToken: again.searchParams.get('join'),
    });
    assert.equal(refused.error?.code, 'forbidden');
    assert.match(refused.error?.message ?? '', /removed you from this meeting/);
    back.close();

    // Someone else, and the same person in another meeting, are let in.
    const friend = await SignallingMember.followJoinLink(
      cluster.controller.url,
      await link('Friend', 'VIEWER', 'friend-7'),
    );
    await bbbCall(cluster.controller.url, secret, 'create', { meetingID: 'seminar-4', name: 'Seminar 4' });
    const elsewhere = await bbbCall(cluster.controller.url, secret, 'join', {
      meetingID: 'seminar-4',
      fullName: 'Troll',
      role: 'VIEWER',
      userID: 'troll-666',
    });
    const other = await SignallingMember.followJoinLink(cluster.controller.url, elsewhere.location!);
    for (const member of [teacher, friend, other]) {
      await member.request({ type: 'leave' });
      member.close();
    }
  });

  it('a room no portal created stays open to anyone, as before', async () => {
    const guest = await SignallingMember.connect(cluster.controller.url);
    const joined = await guest.request({ type: 'join', room: 'open-room', name: 'Guest' });
    assert.equal(joined.ok, true, JSON.stringify(joined));
    await guest.request({ type: 'leave' });
    guest.close();
  });
});
