import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meetingDetailsOf } from '../../src/client/meetingDetails.ts';

test('a join answer’s meeting details are kept only as the page can use them safely', () => {
  assert.equal(meetingDetailsOf({}), undefined);
  assert.equal(meetingDetailsOf(null), undefined);
  assert.deepEqual(
    meetingDetailsOf({
      welcome: 'Hi',
      logoutUrl: 'https://lms.example/course',
      layout: 'video-focus',
      presentation: { url: 'https://docs.example/s.pdf', name: 'Slides' },
    }),
    {
      welcome: 'Hi',
      logoutUrl: 'https://lms.example/course',
      layout: 'video-focus',
      presentation: { url: 'https://docs.example/s.pdf', name: 'Slides' },
    },
  );
  assert.equal(
    meetingDetailsOf({
      logoutUrl: 'javascript:alert(1)',
      layout: 'cameras-only',
      presentation: { url: 'data:text/html,x', name: 'x' },
    }),
    undefined,
    'a script URL, a layout the page does not have, a document that is not http(s): all dropped',
  );
  assert.deepEqual(
    meetingDetailsOf({ meetingName: '  Algebra I  ' }),
    { meetingName: 'Algebra I' },
    'a join answer',
  );
  const stored = meetingDetailsOf({ meetingName: 'Algebra I' });
  assert.deepEqual(meetingDetailsOf(stored), { meetingName: 'Algebra I' }, 'as stored for a reload');
  assert.deepEqual(meetingDetailsOf({ presentation: { url: 'https://docs.example/s.pdf', name: 7 } }), {
    presentation: { url: 'https://docs.example/s.pdf' },
  });
});
