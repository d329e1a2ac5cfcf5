/** Settings Rolegate keeps for itself (migration 025): a key and its JSON value. */
export interface InstanceSettingsTable {
  key: string;
  /** JSON text; secrets inside are encrypted (`Secrets.encrypt`). */
  value: string;
  updated_at: number;
}
