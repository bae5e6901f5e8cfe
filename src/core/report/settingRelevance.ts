/**
 * Which server settings can explain a measured difference. A setting is ranked first when the
 * measurements point at what it governs (temp files → work_mem), next when it commonly matters for
 * pgbench-like workloads, and last when it only names where the server lives (port, paths).
 */

/** signal → the settings that govern it, and what the signal is in words. */
export const settingGroups: Record<string, { what: string; settings: string[] }> = {
  temp: {
    what: 'statements wrote temp files',
    settings: ['work_mem', 'hash_mem_multiplier', 'temp_buffers', 'temp_file_limit', 'enable_hashagg', 'enable_sort'],
  },
  reads: {
    what: 'statements read blocks outside shared buffers',
    settings: [
      'shared_buffers',
      'effective_io_concurrency',
      'maintenance_io_concurrency',
      'io_method',
      'io_combine_limit',
      'io_workers',
      'effective_cache_size',
      'random_page_cost',
      'seq_page_cost',
      'track_io_timing',
      'huge_pages',
    ],
  },
  wal: {
    what: 'statements wrote WAL or waited on it',
    settings: [
      'synchronous_commit',
      'wal_sync_method',
      'fsync',
      'full_page_writes',
      'wal_compression',
      'wal_buffers',
      'wal_writer_delay',
      'wal_writer_flush_after',
      'commit_delay',
      'commit_siblings',
      'checkpoint_timeout',
      'max_wal_size',
      'min_wal_size',
      'checkpoint_completion_target',
      'wal_level',
      'synchronous_standby_names',
      'track_wal_io_timing',
      'wal_init_zero',
      'wal_recycle',
    ],
  },
  contention: {
    what: 'sessions waited on locks or LWLocks',
    settings: [
      'pg_stat_statements.sample_rate',
      'pg_stat_statements.track',
      'pg_stat_statements.track_planning',
      'pg_stat_statements.max',
      'pg_stat_statements.track_utility',
      'track_activities',
      'track_counts',
      'track_functions',
      'max_connections',
      'shared_buffers',
      'huge_pages',
      'max_locks_per_transaction',
      'deadlock_timeout',
    ],
  },
  cpu: {
    what: 'sessions were mostly running on CPU',
    settings: [
      'jit',
      'jit_above_cost',
      'plan_cache_mode',
      'max_parallel_workers_per_gather',
      'parallel_setup_cost',
      'parallel_tuple_cost',
      'random_page_cost',
      'default_statistics_target',
      'work_mem',
      'compute_query_id',
      'log_min_duration_statement',
      'log_statement',
      'auto_explain.log_min_duration',
    ],
  },
};

/** Settings that commonly change a benchmark's numbers whatever the signals say. */
const commonlyMatter = new Set([
  ...Object.values(settingGroups).flatMap((g) => g.settings),
  'autovacuum',
  'autovacuum_naptime',
  'autovacuum_vacuum_cost_limit',
  'autovacuum_vacuum_cost_delay',
  'bgwriter_delay',
  'bgwriter_lru_maxpages',
  'shared_preload_libraries',
  'max_worker_processes',
  'max_parallel_workers',
  'maintenance_work_mem',
  'ssl',
  'password_encryption',
  'log_connections',
  'log_disconnections',
]);

/** Settings that only say where and as what the server runs; they differ between any two servers. */
const identityOnly = new RegExp(
  [
    '^(port|data_directory|data_directory_mode|config_file|hba_file|ident_file|external_pid_file|cluster_name',
    'listen_addresses|unix_socket_directories|log_directory|log_filename|ssl_.*_file|krb_server_keyfile',
    'server_version(_num)?|application_name|archive_command|archive_library|restore_command',
    'primary_conninfo|primary_slot_name)$',
  ].join('|'),
);

export function settingRelevance(name: string, signals: Set<string>): { rank: number; why: string | null } {
  const hit = Object.keys(settingGroups).filter((s) => signals.has(s) && settingGroups[s].settings.includes(name));
  if (hit.length) return { rank: 3, why: hit.map((s) => settingGroups[s].what).join('; ') };
  if (commonlyMatter.has(name) || name.startsWith('enable_'))
    return { rank: 2, why: 'commonly changes benchmark results' };
  if (identityOnly.test(name)) return { rank: 0, why: null };
  return { rank: 1, why: null };
}
