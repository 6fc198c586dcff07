import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OperatorAccess } from '../auth/access.decorators';
import { NetworkRegistryService } from './network-registry.service';

export interface NetworkView {
  readonly id: string;
  readonly name: string;
  readonly chainId: number;
  readonly confirmations: number;
  readonly local: boolean;
  readonly assets: readonly {
    readonly address: string;
    readonly symbol: string;
    readonly decimals: number;
    readonly eip712: { readonly name: string; readonly version: string };
  }[];
}

@ApiTags('networks')
@ApiBearerAuth()
@Controller('v1/networks')
export class NetworksController {
  constructor(private readonly registry: NetworkRegistryService) {}

  @Get()
  @OperatorAccess('read')
  @ApiOperation({ summary: 'Configured networks and their verified assets' })
  list(): { items: NetworkView[] } {
    return {
      items: this.registry.list().map((network) => ({
        id: network.config.id,
        name: network.config.name,
        chainId: network.chainId,
        confirmations: network.config.confirmations,
        local: network.config.local,
        assets: network.assets.map((asset) => ({
          address: asset.address,
          symbol: asset.symbol,
          decimals: asset.decimals,
          eip712: asset.eip712,
        })),
      })),
    };
  }
}
