/** Public API of the sample-export generator. */
export { generateSampleExport } from './generate';
export type { SampleExportResult } from './generate';
export { streamName } from './options';
export type { SampleExportOptions } from './options';
export { loadCatalogue, defaultCataloguePath } from './catalogue';
export type { CatalogueEventType, CatalogueField } from './catalogue';
export { buildWriterSchema } from './avro-schema';
export { decoderCodecs, encoderCodecs, CODEC_NAMES } from './codecs';
export type { AvroCodecName } from './codecs';
export { objectKey, parseObjectKey, dateHour } from './layout';
export { CANARY_PATTERN } from './canaries';
