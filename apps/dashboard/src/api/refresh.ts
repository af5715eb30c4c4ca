import { useQueryClient } from '@tanstack/react-query';

/** Marks every query under `key` stale (refetching those shown), after a change made through the API. */
export function useRefresh(key: string): () => void {
  const queryClient = useQueryClient();
  return () => void queryClient.invalidateQueries({ queryKey: [key] });
}
