import { MetricNames } from '../metric-names';
import type { BuyerStore } from '../store/buyer-repository';
import type { YayApi } from '../yay/types';
import type { Observability } from './ports';

export interface DailyReconciliationDeps extends Observability {
  buyers: BuyerStore;
  yay: YayApi;
}

export interface DriftReport {
  recorded: number;
  remote: number;
  /** Recorded customers Yay no longer lists (deleted by hand, or a wrong uuid). */
  missing: { buyerKey: string; customerUuid: string }[];
  /** Recorded uuids Yay lists under another name. */
  renamed: { buyerKey: string; customerUuid: string; recordedName: string; remoteName: string }[];
  /** Yay customers we never recorded: informational (the reseller may have others). */
  unrecorded: number;
  /** missing + renamed: what the ReconciliationDrift metric reports. */
  drift: number;
}

/**
 * The daily reconciliation: recorded buyer → customer mappings against `GET /account/reseller`.
 * Read-only; reports drift as a metric (always emitted, 0 included, so the alarm sees data) and a log line.
 */
export async function reconcileCustomers(deps: DailyReconciliationDeps): Promise<DriftReport> {
  const [recorded, remote] = await Promise.all([deps.buyers.listCustomers(), deps.yay.listCustomers()]);
  const byUuid = new Map(remote.map((customer) => [customer.uuid, customer]));
  const recordedUuids = new Set(recorded.map((mapping) => mapping.customerUuid));
  const report: DriftReport = {
    recorded: recorded.length,
    remote: remote.length,
    missing: [],
    renamed: [],
    unrecorded: remote.filter((customer) => !recordedUuids.has(customer.uuid)).length,
    drift: 0,
  };
  for (const mapping of recorded) {
    const found = byUuid.get(mapping.customerUuid);
    if (!found) report.missing.push({ buyerKey: mapping.buyerKey, customerUuid: mapping.customerUuid });
    else if (found.name !== mapping.customerName) {
      report.renamed.push({
        buyerKey: mapping.buyerKey,
        customerUuid: mapping.customerUuid,
        recordedName: mapping.customerName,
        remoteName: found.name,
      });
    }
  }
  report.drift = report.missing.length + report.renamed.length;
  deps.metrics.addMetric(MetricNames.ReconciliationDrift, 'Count', report.drift);
  if (report.drift > 0) deps.log.error('recorded customers drifted from Yay', { ...report });
  else
    deps.log.info('recorded customers match Yay', {
      recorded: report.recorded,
      unrecorded: report.unrecorded,
    });
  return report;
}
