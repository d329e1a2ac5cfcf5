import { useQuery } from '@tanstack/react-query';
import { createContext, useContext } from 'react';
import { api, setCsrfToken, type SessionInfo } from './api';

/** The signed-in admin, read once from `GET /api/session` (which also gives the CSRF token). */
export function useSessionQuery() {
  return useQuery({
    queryKey: ['session'],
    queryFn: async () => {
      const session = await api.get<SessionInfo>('/api/session');
      setCsrfToken(session.csrf_token);
      return session;
    },
    retry: false,
    staleTime: Infinity,
  });
}

export const SessionContext = createContext<SessionInfo | null>(null);

export function useSession(): SessionInfo {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}
