// The formats results are printed and written in, by command: named here, apart from the code that
// renders them, so that the CLI's help can list them without loading it.
export const COMPARE_FORMATS = ['table', 'md', 'latex', 'csv', 'json'] as const;
export type CompareFormat = (typeof COMPARE_FORMATS)[number];

export const EXPORT_FORMATS = ['csv', 'json', 'md', 'latex'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const STUDY_FORMATS = ['table', 'md', 'csv', 'json'] as const;
export type StudyFormat = (typeof STUDY_FORMATS)[number];
