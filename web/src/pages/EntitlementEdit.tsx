import { ComingSoon } from './ComingSoon';

export function EntitlementEditPage() {
  return <ComingSoon title="EntitlementEdit" />;
}
