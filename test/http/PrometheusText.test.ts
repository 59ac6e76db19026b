import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrometheusText } from '../../src/http/PrometheusText.ts';

test('each family is HELP, TYPE and its samples; label values escaped as the format says', () => {
  const text = new PrometheusText()
    .gauge('dotm_nodes', 'Live media nodes.', [[{}, 3]])
    .counter('dotm_placements_total', 'OTMs placed.', 7)
    .gauge('bbb_meetings', 'Active meetings.', [
      [{ tenant: 'Uni "A"\\B\nC' }, 2],
      [{ node: 'n1', region: 'eu' }, 0.5],
    ])
    .counter('dotm_node_migrations_total', 'Moved off the node.', [])
    .toString();
  assert.equal(
    text,
    [
      '# HELP dotm_nodes Live media nodes.',
      '# TYPE dotm_nodes gauge',
      'dotm_nodes 3',
      '# HELP dotm_placements_total OTMs placed.',
      '# TYPE dotm_placements_total counter',
      'dotm_placements_total 7',
      '# HELP bbb_meetings Active meetings.',
      '# TYPE bbb_meetings gauge',
      'bbb_meetings{tenant="Uni \\"A\\"\\\\B\\nC"} 2',
      'bbb_meetings{node="n1",region="eu"} 0.5',
      '# HELP dotm_node_migrations_total Moved off the node.',
      '# TYPE dotm_node_migrations_total counter',
      '',
    ].join('\n'),
  );
});
