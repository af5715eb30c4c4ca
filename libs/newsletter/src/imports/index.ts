export * from './contact-importer';
