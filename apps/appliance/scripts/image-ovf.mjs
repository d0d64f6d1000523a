// The OVA's OVF 1.0 descriptor (DMTF DSP0243 1.0, as VMware's ovftool writes and reads it):
// References, then DiskSection and NetworkSection, then the VirtualSystem; every rasd:
// and vssd: element in the alphabetical order the CIM schemas' sequences require.
//
// Hardware: 2 vCPUs, 2 GB, the disk on an LSI Logic SCSI controller (Debian's kernel has
// its driver in the initramfs, and every ESXi offers it), two NICs for one-arm and two-arm
// set-ups, both vmxnet3: VMware's paravirtual NIC (multiqueue, far fewer exits per packet
// than the emulated E1000, which VMware advises against for Linux guests), driven by the
// kernel's own vmxnet3 module without VMware Tools.

const xml = (text) =>
  String(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** One <Item> of the VirtualHardwareSection, its fields sorted as CIM_ResourceAllocationSettingData's sequence is. */
function item(fields) {
  const lines = Object.keys(fields)
    .sort()
    .map((key) => `        <rasd:${key}>${xml(fields[key])}</rasd:${key}>`);
  return `      <Item>\n${lines.join('\n')}\n      </Item>`;
}

export const OVF_HARDWARE = {
  cpus: 2,
  memoryMiB: 2048,
  nics: 2,
  nicType: 'VmxNet3',
  scsi: 'lsilogic',
  /** ESXi 6.7 and later (the first to know debian10_64Guest). */
  virtualSystemType: 'vmx-14',
  osType: 'debian10_64Guest',
};

/**
 * @param {{ name: string, version: string, vmdkName: string, vmdkBytes: number, capacityBytes: number, populatedBytes: number }} disk
 */
export function ovfDescriptor({ name, version, vmdkName, vmdkBytes, capacityBytes, populatedBytes }) {
  const hw = OVF_HARDWARE;
  const items = [
    item({
      AllocationUnits: 'hertz * 10^6',
      Description: 'Number of Virtual CPUs',
      ElementName: `${hw.cpus} virtual CPU(s)`,
      InstanceID: 1,
      ResourceType: 3,
      VirtualQuantity: hw.cpus,
    }),
    item({
      AllocationUnits: 'byte * 2^20',
      Description: 'Memory Size',
      ElementName: `${hw.memoryMiB}MB of memory`,
      InstanceID: 2,
      ResourceType: 4,
      VirtualQuantity: hw.memoryMiB,
    }),
    item({
      Address: 0,
      Description: 'SCSI Controller',
      ElementName: 'SCSI Controller 0',
      InstanceID: 3,
      ResourceSubType: hw.scsi,
      ResourceType: 6,
    }),
    item({
      AddressOnParent: 0,
      ElementName: 'Hard Disk 1',
      HostResource: 'ovf:/disk/vmdisk1',
      InstanceID: 4,
      Parent: 3,
      ResourceType: 17,
    }),
    ...Array.from({ length: hw.nics }, (_, i) =>
      item({
        AddressOnParent: 7 + i,
        AutomaticAllocation: 'true',
        Connection: 'VM Network',
        Description: `VmxNet3 ethernet adapter on "VM Network" (eth${i})`,
        ElementName: `Network adapter ${i + 1}`,
        InstanceID: 5 + i,
        ResourceSubType: hw.nicType,
        ResourceType: 10,
      }),
    ),
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
    <File ovf:href="${xml(vmdkName)}" ovf:id="file1" ovf:size="${vmdkBytes}"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="${capacityBytes}" ovf:capacityAllocationUnits="byte" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized" ovf:populatedSize="${populatedBytes}"/>
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name="VM Network">
      <Description>The network of eth0 and eth1 (map each to a port group at import)</Description>
    </Network>
  </NetworkSection>
  <VirtualSystem ovf:id="${xml(name)}">
    <Info>The Sluice load balancer appliance</Info>
    <Name>sluice</Name>
    <OperatingSystemSection ovf:id="96" vmw:osType="${hw.osType}">
      <Info>The kind of installed guest operating system</Info>
      <Description>Debian GNU/Linux 12 (64-bit)</Description>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>sluice</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>${hw.virtualSystemType}</vssd:VirtualSystemType>
      </System>
${items.join('\n')}
    </VirtualHardwareSection>
    <ProductSection>
      <Info>Information about the installed software</Info>
      <Product>Sluice load balancer appliance</Product>
      <Vendor>Sluice</Vendor>
      <Version>${xml(version)}</Version>
    </ProductSection>
  </VirtualSystem>
</Envelope>
`;
}
