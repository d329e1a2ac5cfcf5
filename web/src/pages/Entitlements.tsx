import { ComingSoon } from './ComingSoon';

export function EntitlementsPage() {
  return <ComingSoon title="Entitlements" />;
}
