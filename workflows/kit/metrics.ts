/**
 * The engine's own metrics from inside workflows, through the SDK's workflow metric meter: they go
 * out on the worker's Prometheus endpoint (WORKER_METRICS_PORT) beside the SDK's `temporal_` ones,
 * with its tags (namespace, task_queue, workflow_type). The SDK drops them during replay, so a
 * history replayed after a worker restart counts nothing twice; recording issues no command, so
 * adding a metric never breaks a running workflow's replay.
 *
 * Names and their meaning are listed in the README ("Metrics and traces").
 */
import { metricMeter } from '@temporalio/workflow';
import type { Phase } from '../../domain/incident';

const seconds = (fromIso: string, to = Date.now()) => Math.max(0, (to - Date.parse(fromIso)) / 1000);

export const incidentMetrics = {
  opened(playbook: string, severity: string, openedAt: string, firstEventAt: string | undefined): void {
    metricMeter
      .createCounter('ir_incidents_opened_total', '1', 'Incidents opened, by playbook and severity')
      .add(1, { playbook, severity });
    if (firstEventAt && Number.isFinite(Date.parse(firstEventAt)))
      metricMeter
        .createHistogram(
          'ir_incident_time_to_detect_seconds',
          'float',
          's',
          'From the first event of the opening alert to the incident opening',
        )
        .record(seconds(firstEventAt, Date.parse(openedAt)), { playbook });
  },

  /** A phase entered; the milestones also record the time since the incident opened. */
  phase(playbook: string, phase: Phase, openedAt: string): void {
    metricMeter
      .createCounter('ir_incident_phase_entered_total', '1', 'Incidents entering a phase, by playbook')
      .add(1, { playbook, phase });
    const milestone =
      phase === 'contained' || phase === 'containment-unverified'
        ? 'ir_incident_time_to_contain_seconds'
        : phase === 'recovered'
          ? 'ir_incident_time_to_recover_seconds'
          : undefined;
    if (milestone)
      metricMeter
        .createHistogram(milestone, 'float', 's', 'From the incident opening to the milestone')
        .record(seconds(openedAt), {
          playbook,
          ...(phase === 'recovered' ? {} : { verified: String(phase === 'contained') }),
        });
  },

  /** An approval settled: how long it waited, and how it ended. */
  approval(action: string, resolution: string, requestedAt: string): void {
    metricMeter
      .createHistogram(
        'ir_approval_wait_seconds',
        'float',
        's',
        'How long approvals waited, by action and resolution',
      )
      .record(seconds(requestedAt), { action, resolution });
  },
};

export const detectorMetrics = {
  /**
   * After a batch: events taken (new and duplicate), alerts raised, and the lag between the newest
   * event's own time and the detector's clock (how far behind the source detection runs).
   */
  batch(
    detector: string,
    accepted: number,
    duplicates: number,
    alerts: number,
    newestEventAt?: string,
  ): void {
    const events = metricMeter.createCounter(
      'ir_detector_events_total',
      '1',
      'Identity events a detector took',
    );
    if (accepted) events.add(accepted, { detector, outcome: 'new' });
    if (duplicates) events.add(duplicates, { detector, outcome: 'duplicate' });
    if (alerts)
      metricMeter
        .createCounter('ir_detector_alerts_total', '1', 'Alerts detection rules raised')
        .add(alerts, { detector });
    const newest = newestEventAt ? Date.parse(newestEventAt) : NaN;
    if (Number.isFinite(newest))
      metricMeter
        .createGauge('ir_detector_lag_seconds', 'float', 's', "Detector clock minus the newest event's time")
        .set(Math.max(0, (Date.now() - newest) / 1000), { detector });
  },
};
