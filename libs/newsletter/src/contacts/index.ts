export * from './contact-email';
export * from './contact-input';
export * from './contacts.module';
export * from './contacts.service';
