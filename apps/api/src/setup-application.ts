import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { type ProcoConfig, PROCO_CONFIG } from '@proco/config';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';

/**
 * Builds the API application exactly as production runs it; tests call this too, so what they
 * exercise is what ships.
 */
export async function createApiApplication(config?: ProcoConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bufferLogs: true,
    // JSON bodies are parsed by JsonBodyMiddleware, with the configured limit and problem+json errors.
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const resolved = app.get<ProcoConfig>(PROCO_CONFIG);
  if (resolved.api.docsEnabled) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Proco API')
        .setDescription('Wallets, spending policy and x402 payments for AI agents.')
        .setVersion('0.1.0')
        .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Operator API key or agent token' })
        .build(),
    );
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  }
  return app;
}
