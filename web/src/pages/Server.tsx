import { ComingSoon } from './ComingSoon';

export function ServerPage() {
  return <ComingSoon title="Server" />;
}
