import { ComingSoon } from './ComingSoon';

export function ServersPage() {
  return <ComingSoon title="Servers" />;
}
