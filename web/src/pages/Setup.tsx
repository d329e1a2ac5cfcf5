import { ComingSoon } from './ComingSoon';

export function SetupPage() {
  return <ComingSoon title="Setup" />;
}
