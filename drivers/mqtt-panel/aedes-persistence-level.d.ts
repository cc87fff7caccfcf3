declare module 'aedes-persistence-level' {
  /** Aedes persistence on a LevelDB instance (`new Level(dir)`); the package ships no types. */
  export default function levelPersistence(db: unknown): {
    setup(broker: unknown): Promise<void>;
  };
}
