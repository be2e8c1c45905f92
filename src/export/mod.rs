//! Every event out: CompetitionLabs export and webhook triggers. (Stub: to be filled in.)
