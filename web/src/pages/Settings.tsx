import { ComingSoon } from './ComingSoon';

export function SettingsPage() {
  return <ComingSoon title="Settings" />;
}
